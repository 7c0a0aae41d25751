"""Deterministic build noise for synthetic logs: cmake, vcpkg, compiler and test progress lines.

Nothing here may look like a failure: no "error", "fail", "fatal", "not found", "Killed",
"warning", "Restored", "exceeded" or "denied" in any generated line.
"""

from __future__ import annotations

import random

GREEN, CYAN, BOLD, RESET = "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m"

SOURCES = [
    "H264Decoder", "H264EncoderNVCodec", "Mp4ReaderSource", "Mp4WriterSink", "ImageResizeCV",
    "RotateCV", "BrightnessContrastControl", "VirtualPTZ", "ColorConversionXForm", "FileReaderModule",
    "FileWriterModule", "FramesMuxer", "Module", "PipeLine", "ExternalSourceModule", "ArchiveSpaceManager",
    "AffineTransform", "OverlayModule", "TextOverlayXForm", "FaceDetectorXform", "QRReader",
    "GtkGlRenderer", "NvTransform", "JPEGEncoderNVJPEG", "CudaMemCopy", "MotionVectorExtractor",
    "RTSPClientSrc", "MultimediaQueueXform", "ThumbnailListGenerator", "AudioCaptureSrc",
]
PORTS = [
    ("boost-filesystem", "1.84.0"), ("boost-thread", "1.84.0"), ("boost-system", "1.84.0"),
    ("boost-test", "1.84.0"), ("opencv4", "4.10.0#6"), ("ffmpeg", "4.4.3"), ("libarchive", "3.5.2"),
    ("sfml", "2.6.1"), ("openal-soft", "1.23.1"), ("nu-book-zxing-cpp", "2.2.1"), ("zlib", "1.3.1"),
    ("libjpeg-turbo", "3.0.4"), ("libpng", "1.6.43"), ("bzip2", "1.0.8#5"), ("liblzma", "5.4.4"),
    ("glib", "2.78.4"), ("fmt", "10.2.1"), ("protobuf", "3.21.12"), ("libwebp", "1.4.0"),
    ("tiff", "4.6.0#3"), ("pkgconf", "2.2.0"), ("gtest", "1.14.0"), ("libxml2", "2.11.7"),
]
CMAKE_LINES = [
    "-- The C compiler identification is GNU 11.4.0",
    "-- The CXX compiler identification is GNU 11.4.0",
    "-- Detecting C compiler ABI info - done",
    "-- Check for working CXX compiler: /usr/bin/c++ - skipped",
    "-- Detecting CXX compile features - done",
    "-- Looking for pthread.h - found",
    "-- Performing Test CMAKE_HAVE_LIBC_PTHREAD - Success",
    "-- Found Threads: TRUE",
    "-- Found PkgConfig: /usr/bin/pkg-config (found version \"0.29.2\")",
    "-- Found ZLIB: optimized;/home/runner/work/ApraPipes/ApraPipes/vcpkg_installed/lib/libz.a",
    "-- Found OpenCV: /home/runner/work/ApraPipes/ApraPipes/vcpkg_installed/share/opencv4 (found version \"4.10.0\")",
    "-- Found Boost: /home/runner/work/ApraPipes/ApraPipes/vcpkg_installed/share/boost (found version \"1.84.0\")",
    "-- Found CUDAToolkit: /usr/local/cuda/include (found version \"11.8.89\")",
    "-- Configuring done (41.2s)",
    "-- Generating done (0.4s)",
    "-- Build files have been written to: /home/runner/work/ApraPipes/ApraPipes/build",
]
TESTS = ["h264decoder_tests", "mp4readersource_tests", "imageresizecv_tests", "rotatecv_tests",
         "filereadermodule_tests", "pipeline_tests", "framesmuxer_tests", "virtualptz_tests",
         "overlaymodule_tests", "archivespacemanager_tests", "colorconversion_tests", "qrreader_tests"]


def _compile_line(rng: random.Random, i: int, total: int, ansi: bool) -> str:
    src = rng.choice(SOURCES)
    text = f"Building CXX object CMakeFiles/aprapipes.dir/src/{src}.cpp.o"
    if rng.random() < 0.15:
        text = f"Building CUDA object CMakeFiles/aprapipes.dir/src/{src}.cu.o"
    prefix = f"[{min(i, total)}/{total}]"
    return f"{prefix} {GREEN}{text}{RESET}" if ansi else f"{prefix} {text}"


def _vcpkg_lines(rng: random.Random, i: int, triplet: str) -> list[str]:
    port, version = PORTS[i % len(PORTS)]
    n = i % 212 + 1
    secs = rng.randint(1, 240)
    return [
        f"Installing {n}/212 {port}:{triplet}@{version}...",
        f"Building {port}:{triplet}@{version}...",
        f"-- Using cached {port}-{version.split('#')[0]}.tar.gz.",
        f"-- Extracting source /home/runner/work/ApraPipes/ApraPipes/vcpkg/downloads/{port}-{version.split('#')[0]}.tar.gz",
        f"-- Configuring {triplet}",
        f"-- Building {triplet}-rel",
        f"-- Installing: /home/runner/work/ApraPipes/ApraPipes/vcpkg/packages/{port}_{triplet}/share/{port}/copyright",
        "-- Performing post-build validation",
        f"Stored binaries in 1 destinations in {rng.randint(40, 900)} ms.",
        f"Elapsed time to handle {port}:{triplet}: {secs} s",
    ]


APT = ["libgtk-3-0", "libgtk-3-dev", "ninja-build", "nasm", "flex", "bison", "autoconf", "automake", "libtool",
       "pkg-config", "libx11-dev", "libxext-dev", "libglib2.0-dev", "libpango1.0-dev", "libcairo2-dev",
       "libatk1.0-dev", "zip", "unzip", "curl", "git", "libegl1", "libgles2", "python3-distutils", "m4", "perl"]


def _apt_lines(rng: random.Random, i: int) -> list[str]:
    pkg = APT[i % len(APT)]
    version = f"{rng.randint(1, 4)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}-{rng.randint(1, 5)}ubuntu{rng.randint(1, 3)}"
    return [f"Get:{i + 1} http://archive.ubuntu.com/ubuntu jammy/main amd64 {pkg} amd64 {version} [{rng.randint(20, 3000)} kB]",
            f"Selecting previously unselected package {pkg}:amd64.",
            f"Preparing to unpack .../{i:02d}-{pkg}_{version}_amd64.deb ...",
            f"Unpacking {pkg}:amd64 ({version}) ...", f"Setting up {pkg}:amd64 ({version}) ..."]


def _test_lines(rng: random.Random, i: int) -> list[str]:
    suite = TESTS[i % len(TESTS)]
    case = f"{suite.removesuffix('_tests')}_basic_{i}"
    return [f"Entering test suite \"{suite}\"", f"Entering test case \"{case}\"",
            f"Leaving test case \"{case}\"; testing time: {rng.randint(200, 90000)}us",
            f"Leaving test suite \"{suite}\"; testing time: {rng.randint(1, 900)}ms"]


def _phase(count: int, kind: str, rng: random.Random, ansi: bool, triplet: str) -> list[str]:
    out: list[str] = []
    i = 0
    while len(out) < count:
        if kind == "vcpkg":
            out.extend(_vcpkg_lines(rng, i, triplet))
        elif kind == "cmake":
            out.append(CMAKE_LINES[i % len(CMAKE_LINES)])
        elif kind == "test":
            out.extend(_test_lines(rng, i))
        elif kind == "apt":
            out.extend(_apt_lines(rng, i))
        else:
            out.append(_compile_line(rng, i + 1, max(count, 400), ansi))
        i += 1
    return out[:count]


def noise_lines(count: int, kind: str, seed: str, ansi: bool = True, triplet: str = "x64-linux-release") -> list[str]:
    """Return `count` deterministic progress lines of the given kind (build|vcpkg|cmake|test|apt|mixed)."""
    rng = random.Random(seed)
    if kind != "mixed":
        return _phase(count, kind, rng, ansi, triplet)
    vcpkg = count * 2 // 5
    cmake = min(len(CMAKE_LINES), count - vcpkg)
    return (_phase(vcpkg, "vcpkg", rng, ansi, triplet) + _phase(cmake, "cmake", rng, ansi, triplet)
            + _phase(count - vcpkg - cmake, "build", rng, ansi, triplet))
