vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO opencv/opencv
    REF "${VERSION}"
    SHA512 b5051e5a49767fdf082522736a1cb67d6d6fd15d2517920f952e787d4539b1648f95f665074823bcbf829736d74355b72d47837db9d12cfb6af9bd89fe12dccc
    HEAD_REF master
    PATCHES
        0001-disable-downloading.patch
        0019-jetson-cuda-arch.patch
)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS -DBUILD_TESTS=OFF -DWITH_CUDA=ON -DCUDA_ARCH_BIN=7.2
)
vcpkg_cmake_install()
