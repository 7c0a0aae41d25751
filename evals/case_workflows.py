"""ApraPipes-shaped workflow texts: the callers, the reusable build, GPU tests and container build."""

KEY = "${{ runner.os }}-vcpkg-4-${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json', 'submodule_ver.txt') }}"

CALLER = """name: {name}

on:
  push:
    branches: [ main ]
  pull_request:
    branches: [ main ]
  workflow_dispatch:

jobs:
  {job}:
    uses: ./.github/workflows/{called}
    with:
      runner: {runner}
      flav: {flav}
      is-selfhosted: {selfhosted}
      cuda: '{cuda}'
    secrets: inherit
"""

BUILD_TEST = """name: build-test

on:
  workflow_call:
    inputs:
      runner: {type: string, default: 'ubuntu-22.04'}
      flav: {type: string, required: true}
      cuda: {type: string, default: 'ON'}
      is-selfhosted: {type: boolean, default: false}
      is-prep-phase: {type: boolean, default: true}
      cache-path: {type: string, default: './../.cache/vcpkg'}
      nProc: {type: number, default: 4}

jobs:
  build:
    runs-on: ${{ inputs.runner }}
    timeout-minutes: 360
    env:
      VCPKG_BINARY_SOURCES: 'clear;files,${{ github.workspace }}/../.cache/vcpkg,readwrite'
      VCPKG_DEFAULT_BINARY_CACHE: ${{ github.workspace }}/../.cache/vcpkg
    steps:
      - name: Prepare builder (Linux)
        if: ${{ runner.os == 'Linux' }}
        run: |
          sudo apt-get update -qq
          sudo apt-get install -y ninja-build nasm flex bison autoconf automake autoconf-archive libtool pkg-config libgtk-3-dev libx11-dev
      - name: Prepare builder (Windows)
        if: ${{ runner.os == 'Windows' }}
        run: choco install -y ninja nasm pkgconfiglite
      - uses: actions/checkout@v4
        with:
          submodules: recursive
          lfs: true
          fetch-depth: 0
      - name: Bootstrap vcpkg
        run: ./vcpkg/bootstrap-vcpkg.sh
      - name: Cache dependencies
        uses: actions/cache@v3
        with:
          path: ${{ github.workspace }}/../.cache/vcpkg
          key: @KEY@
          restore-keys: ${{ runner.os }}-vcpkg-4-
      - name: Configure CMake (prep phase)
        if: ${{ inputs.is-prep-phase }}
        continue-on-error: true
        run: cmake -B build -S base -G Ninja -DENABLE_CUDA=${{ inputs.cuda }} -DCMAKE_TOOLCHAIN_FILE=../vcpkg/scripts/buildsystems/vcpkg.cmake
      - name: Configure CMake
        run: cmake -B build -S base -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DENABLE_CUDA=${{ inputs.cuda }} -DCMAKE_TOOLCHAIN_FILE=../vcpkg/scripts/buildsystems/vcpkg.cmake
      - name: Build
        run: cmake --build build --config RelWithDebInfo -j ${{ inputs.nProc }}
      - name: Run tests
        run: ./build/aprapipesut --log_format=JUNIT --log_sink=CI_test_result_${{ inputs.flav }}.xml -p -l all
      - name: Check test results
        run: python3 .github/scripts/check_junit.py CI_test_result_${{ inputs.flav }}.xml
      - name: Upload test results
        if: ${{ always() }}
        uses: actions/upload-artifact@v4
        with:
          name: TestResults_${{ inputs.flav }}
          path: CI_test_result_${{ inputs.flav }}.xml

  cuda-tests:
    needs: build
    if: ${{ inputs.cuda == 'ON' }}
    uses: ./.github/workflows/CI-CUDA-Tests.yml
    with:
      flav: ${{ inputs.flav }}
""".replace("@KEY@", KEY)

CUDA_TESTS = """name: CI-CUDA-Tests

on:
  workflow_call:
    inputs:
      flav: {type: string, required: true}

jobs:
  gpu-test:
    runs-on: [self-hosted, linux-cuda]
    timeout-minutes: 45
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: aprapipes_${{ inputs.flav }}
      - name: Run GPU tests
        run: ./aprapipesut --log_format=JUNIT --log_sink=CI_test_result_${{ inputs.flav }}_gpu.xml -p -l all
      - uses: actions/upload-artifact@v4
        if: ${{ always() }}
        with:
          name: TestResults_${{ inputs.flav }}_gpu
          path: CI_test_result_${{ inputs.flav }}_gpu.xml
"""

CONTAINER = """name: build-test-lin-container

on:
  workflow_call:
    inputs:
      flav: {type: string, default: 'LinuxD-CUDA'}

jobs:
  build:
    runs-on: ubuntu-22.04
    container: nvidia/cuda:11.8.0-devel-ubuntu22.04
    timeout-minutes: 360
    env:
      VCPKG_DEFAULT_BINARY_CACHE: /__w/.cache/vcpkg
    steps:
      - name: Install build tools
        run: |
          apt-get update -qq
          DEBIAN_FRONTEND=noninteractive apt-get install -y git curl zip unzip tar ninja-build nasm flex bison autoconf automake autoconf-archive libtool pkg-config python3-pip libgtk-3-dev
      - name: Install pip packages
        run: pip3 install meson ninja
      - uses: actions/checkout@v4
        with:
          submodules: recursive
      - name: Cache dependencies
        uses: actions/cache@v3
        with:
          path: /__w/.cache/vcpkg
          key: LinuxD-vcpkg-3-${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json', 'submodule_ver.txt') }}
      - name: Bootstrap vcpkg
        run: ./vcpkg/bootstrap-vcpkg.sh
      - name: Configure CMake
        run: cmake -B build -S base -G Ninja -DENABLE_CUDA=ON -DCMAKE_TOOLCHAIN_FILE=../vcpkg/scripts/buildsystems/vcpkg.cmake
      - name: Build
        run: cmake --build build -j 4
      - uses: actions/upload-artifact@v4
        with:
          name: aprapipes_${{ inputs.flav }}
          path: build/aprapipesut
"""
