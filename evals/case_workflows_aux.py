"""ApraPipes-shaped workflow texts: self-hosted Linux/Jetson, macOS, publish, cron and docs."""

from evals.case_workflows import KEY

SELF_HOSTED = """name: build-test-lin

on:
  workflow_call:
    inputs:
      runner: {type: string, default: '["self-hosted","Linux","ARM64"]'}
      flav: {type: string, default: 'Linux_ARM64'}
      triplet: {type: string, default: 'arm64-linux-release'}

jobs:
  build:
    runs-on: ${{ fromJSON(inputs.runner) }}
    timeout-minutes: 600
    env:
      VCPKG_DEFAULT_TRIPLET: ${{ inputs.triplet }}
      VCPKG_OVERLAY_PORTS: ${{ github.workspace }}/thirdparty/arm64-overlay
      VCPKG_DEFAULT_BINARY_CACHE: ${{ github.workspace }}/../.cache/vcpkg
      VCPKG_BINARY_SOURCES: 'clear;files,${{ github.workspace }}/../.cache/vcpkg,readwrite'
    steps:
      - name: Prepare builder
        run: |
          if [ -x /usr/bin/gcc-11 ]; then echo "CC=/usr/bin/gcc-11" >> "$GITHUB_ENV"; echo "CXX=/usr/bin/g++-11" >> "$GITHUB_ENV"; fi
          pip3 install meson ninja
      - uses: actions/checkout@v4
        with:
          submodules: recursive
      - name: Bootstrap vcpkg
        run: ./vcpkg/bootstrap-vcpkg.sh
      - name: Configure CMake
        run: cmake -B build -S base -G Ninja -DENABLE_ARM64=ON -DENABLE_CUDA=ON -DCMAKE_TOOLCHAIN_FILE=../vcpkg/scripts/buildsystems/vcpkg.cmake
      - name: Build
        run: cmake --build build -j 6
      - name: Run tests
        timeout-minutes: 45
        run: ./build/aprapipesut --log_format=JUNIT --log_sink=CI_test_result_${{ inputs.flav }}.xml -p -l all
      - uses: actions/upload-artifact@v4
        if: ${{ always() }}
        with:
          name: TestResults_${{ inputs.flav }}
          path: CI_test_result_${{ inputs.flav }}.xml
"""

MACOS = """name: build-test-macosx

on:
  workflow_call:
    inputs:
      flav: {type: string, default: 'MacOSX'}

jobs:
  build:
    runs-on: macos-15-intel
    timeout-minutes: 360
    env:
      VCPKG_DEFAULT_TRIPLET: x64-osx-release
      VCPKG_DEFAULT_BINARY_CACHE: ${{ github.workspace }}/../.cache/vcpkg
    steps:
      - uses: actions/checkout@v4
        with:
          submodules: recursive
      - name: Restore vcpkg cache
        uses: actions/cache/restore@v3
        with:
          path: ${{ github.workspace }}/../.cache/vcpkg
          key: @KEY@
      - name: Bootstrap vcpkg
        run: ./vcpkg/bootstrap-vcpkg.sh
      - name: Configure CMake
        run: cmake -B build -S base -G Ninja -DENABLE_CUDA=OFF -DCMAKE_TOOLCHAIN_FILE=../vcpkg/scripts/buildsystems/vcpkg.cmake
      - name: Save vcpkg cache
        if: ${{ always() }}
        uses: actions/cache/save@v3
        with:
          path: ${{ github.workspace }}/../.cache/vcpkg
          key: @KEY@
      - name: Build
        run: cmake --build build -j 4
      - name: Run tests
        run: ./build/aprapipesut --log_format=JUNIT --log_sink=CI_test_result_MacOSX.xml -p -l all
""".replace("@KEY@", KEY)

PUBLISH = """name: publish-test

on:
  workflow_run:
    workflows: [CI-Linux, CI-Windows, CI-Linux-ARM64, CI-MacOSX-NoCUDA]
    types: [completed]

permissions:
  contents: read
  checks: write
  pull-requests: write

jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          run-id: ${{ github.event.workflow_run.id }}
          github-token: ${{ secrets.GITHUB_TOKEN }}
          pattern: TestResults_*
      - name: Publish test report
        uses: EnricoMi/publish-unit-test-result-action@v2
        with:
          commit: ${{ github.event.workflow_run.head_sha }}
          files: '**/CI_test_result_*.xml'
"""

CRON = """name: cron-update-vcpkg

on:
  schedule:
    - cron: '0 3 * * 1'
  workflow_dispatch:

permissions:
  contents: write
  pull-requests: write

jobs:
  bump:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          submodules: recursive
      - name: Move vcpkg submodule to the fork's tip
        run: |
          git -C vcpkg fetch origin master
          git -C vcpkg checkout origin/master
          git -C vcpkg rev-parse HEAD > submodule_ver.txt
      - uses: peter-evans/create-pull-request@v6
        with:
          branch: cron/update-vcpkg
          title: Update vcpkg submodule
          commit-message: Update vcpkg submodule
"""

DOXY = """name: doxy

on:
  push:
    branches: [ main ]

permissions:
  contents: write

jobs:
  docs:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Generate documentation
        run: |
          sudo apt-get install -y doxygen graphviz
          doxygen Doxyfile
      - name: Deploy to gh-pages
        uses: peaceiris/actions-gh-pages@v4
        with:
          github_token: ${{ secrets.GITHUB_TOKEN }}
          publish_dir: ./docs/html
"""
