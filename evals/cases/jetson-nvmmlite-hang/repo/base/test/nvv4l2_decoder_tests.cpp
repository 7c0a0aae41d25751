#include <boost/test/unit_test.hpp>

#include "FileReaderModule.h"
#include "NvV4L2Decoder.h"
#include "test_utils.h"

BOOST_AUTO_TEST_SUITE(nvv4l2_decoder_tests)

BOOST_AUTO_TEST_CASE(nvv4l2_decode_h264_1080p)
{
    auto reader = boost::shared_ptr<FileReaderModule>(new FileReaderModule(FileReaderModuleProps("./data/h264_1080p.h264")));
    auto decoder = boost::shared_ptr<NvV4L2Decoder>(new NvV4L2Decoder(NvV4L2DecoderProps()));
    reader->setNext(decoder);
    BOOST_TEST(reader->init());
    BOOST_TEST(decoder->init());
    for (int i = 0; i < 30; i++)
    {
        reader->step();
        decoder->step();
    }
}

BOOST_AUTO_TEST_CASE(nvv4l2_decode_h264_720p_props)
{
    NvV4L2DecoderProps props;
    props.maxConcurrentFrames = 4;
    BOOST_TEST(props.maxConcurrentFrames == 4);
}

BOOST_AUTO_TEST_SUITE_END()
