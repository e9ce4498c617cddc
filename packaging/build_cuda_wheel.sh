#!/usr/bin/env bash
# Build a CUDA wheel of llama-cpp-python for Wenku (Linux; on Windows run the same pip command in a
# "x64 Native Tools" prompt with CUDA_PATH set).
#
#   packaging/build_cuda_wheel.sh --check   # check nvcc, cmake, a C++ compiler and pip; print the command
#   packaging/build_cuda_wheel.sh           # build it (tens of minutes: every CUDA architecture is compiled)
#
# Environment:
#   CUDA_ARCHITECTURES   CMAKE_CUDA_ARCHITECTURES (default "75;80;86;89;90": Turing, Ampere, Ada, Hopper;
#                        each also gets PTX, so newer GPUs run it through the driver's JIT). Fewer
#                        architectures build faster, e.g. CUDA_ARCHITECTURES=86 for one RTX 30xx.
#   LLAMA_CPP_VERSION    default 0.3.36 (the version Wenku is tested with)
#   LLAMA_CPP_SOURCE     a local sdist or source folder instead of PyPI (offline builds)
#   PYTHON               the Python whose pip builds the wheel (default: python3)
#   OUT_DIR              default dist/wheels
#   CMAKE_BUILD_PARALLEL_LEVEL  compile jobs (default: the number of CPUs)
#   CUBLAS_ROOT          a folder with include/cublas_v2.h and lib/libcublas.so* when cuBLAS is not
#                        inside the CUDA toolkit (found by itself when $PYTHON has the pip package
#                        nvidia-cublas (CUDA 13) or nvidia-cublas-cu12 (CUDA 12) installed)
#
# llama.cpp's CUDA backend needs cuBLAS; a toolkit installed from pip packages (nvidia-cuda-nvcc)
# has none, so the check looks for it and says how to get it.
# The wheel links the CUDA runtime and cuBLAS dynamically: the machine that runs it needs an NVIDIA
# driver and those libraries, of the same CUDA major version as the nvcc used here, where the
# loader finds them (a system CUDA install, or LD_LIBRARY_PATH pointing at the pip packages' lib/).
set -euo pipefail

CHECK_ONLY=0
case "${1:-}" in
  --check) CHECK_ONLY=1 ;;
  -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 1 ;;
esac

ARCHS="${CUDA_ARCHITECTURES:-75;80;86;89;90}"
VERSION="${LLAMA_CPP_VERSION:-0.3.36}"
PYTHON="${PYTHON:-python3}"
OUT_DIR="${OUT_DIR:-dist/wheels}"
SOURCE="${LLAMA_CPP_SOURCE:-llama-cpp-python==${VERSION}}"
JOBS="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}"

problems=0
fail() { echo "  MISSING: $*" >&2; problems=$((problems + 1)); }

echo "Checking the tools for a CUDA build of llama-cpp-python ${VERSION}:"
NVCC="${CUDACXX:-$(command -v nvcc || true)}"
if [[ -z "$NVCC" && -x /usr/local/cuda/bin/nvcc ]]; then NVCC=/usr/local/cuda/bin/nvcc; fi
if [[ -n "$NVCC" && -x "$NVCC" ]]; then
  NVCC_VERSION="$("$NVCC" --version | sed -n 's/.*release \([0-9][0-9.]*\).*/\1/p' | head -n1)"
  echo "  nvcc:   $NVCC (CUDA ${NVCC_VERSION:-?})"
  NVCC_MAJOR="${NVCC_VERSION%%.*}"
  if [[ "${NVCC_MAJOR:-0}" -ge 13 ]]; then
    for arch in ${ARCHS//;/ }; do
      if [[ "${arch%%[a-z-]*}" -lt 75 ]]; then
        fail "CUDA ${NVCC_VERSION} cannot compile for compute capability ${arch} (CUDA 13 starts at 75); set CUDA_ARCHITECTURES"
      fi
    done
  fi
else
  fail "nvcc (the CUDA toolkit's compiler). Install the CUDA toolkit (https://developer.nvidia.com/cuda-downloads) and put its bin/ on PATH, or set CUDACXX=/path/to/nvcc"
fi
# cuBLAS: in the toolkit, in CUBLAS_ROOT, or from the pip package in $PYTHON's site-packages.
CUBLAS_INCLUDE="" CUBLAS_LIB=""
find_cublas() {
  local root
  for root in "$@"; do
    [[ -n "$root" && -f "$root/include/cublas_v2.h" ]] || continue
    for lib in "$root/lib64" "$root/lib" "$root/targets/x86_64-linux/lib"; do
      if compgen -G "$lib/libcublas.so*" >/dev/null; then CUBLAS_INCLUDE="$root/include" CUBLAS_LIB="$lib"; return 0; fi
    done
  done
  return 1
}
TOOLKIT=""
[[ -n "$NVCC" ]] && TOOLKIT="$(cd "$(dirname "$(readlink -f "$NVCC")")/.." && pwd)"
EXTRA_CMAKE=""
if find_cublas "$TOOLKIT" "${CUDA_PATH:-}"; then
  echo "  cuBLAS: $CUBLAS_LIB (in the CUDA toolkit)"
else
  PIP_CUBLAS="$("$PYTHON" - <<'PY' 2>/dev/null || true
import importlib.util, pathlib
spec = importlib.util.find_spec("nvidia")
for base in (spec.submodule_search_locations if spec else []):
    for sub in ("cu13", "cu12", "cublas"):
        if (pathlib.Path(base) / sub / "include" / "cublas_v2.h").is_file():
            print(pathlib.Path(base) / sub)
            raise SystemExit
PY
)"
  if find_cublas "${CUBLAS_ROOT:-}" "$PIP_CUBLAS"; then
    echo "  cuBLAS: $CUBLAS_LIB (outside the toolkit; passed to CMake explicitly)"
    CUBLAS_SO="$(ls "$CUBLAS_LIB"/libcublas.so* | head -n1)"
    CUBLASLT_SO="$(ls "$CUBLAS_LIB"/libcublasLt.so* | head -n1)"
    EXTRA_CMAKE=" -DCUDA_cublas_LIBRARY=${CUBLAS_SO} -DCUDA_cublasLt_LIBRARY=${CUBLASLT_SO}"
    EXTRA_CMAKE+=" -DCMAKE_CUDA_FLAGS=-I${CUBLAS_INCLUDE} -DCMAKE_CXX_FLAGS=-I${CUBLAS_INCLUDE}"
  else
    major="${NVCC_MAJOR:-13}"
    package="nvidia-cublas"; [[ "$major" -lt 13 ]] && package="nvidia-cublas-cu${major}"
    fail "cuBLAS (cublas_v2.h and libcublas.so), which llama.cpp's CUDA backend links. Install the toolkit's cuBLAS (NVIDIA's apt repository: libcublas-dev-${major}-*), or '$PYTHON -m pip install ${package}', or set CUBLAS_ROOT"
  fi
fi
# libcuda.so (the driver, or the toolkit's stub) is linked for CUDA's virtual memory pool; without
# it, build with llama.cpp's legacy pool instead (GGML_CUDA_NO_VMM).
if compgen -G "$TOOLKIT/lib64/stubs/libcuda.so" >/dev/null || compgen -G "$TOOLKIT/lib/stubs/libcuda.so" >/dev/null \
   || compgen -G "$TOOLKIT/targets/*/lib/stubs/libcuda.so" >/dev/null || { command -v ldconfig >/dev/null && ldconfig -p | grep -q 'libcuda\.so '; }; then
  echo "  libcuda: found (CUDA virtual memory pool enabled)"
else
  echo "  libcuda: no driver library or stub: building with -DGGML_CUDA_NO_VMM=ON (legacy memory pool)"
  EXTRA_CMAKE+=" -DGGML_CUDA_NO_VMM=ON"
fi
if command -v cmake >/dev/null; then
  CMAKE_VERSION="$(cmake --version | sed -n 's/cmake version \([0-9.]*\).*/\1/p')"
  echo "  cmake:  $(command -v cmake) ($CMAKE_VERSION)"
else
  echo "  cmake:  not on PATH (pip fetches the cmake package while building, if it can reach PyPI)"
fi
CXX_FOUND="${CXX:-$(command -v c++ || command -v g++ || command -v clang++ || true)}"
if [[ -n "$CXX_FOUND" ]]; then
  echo "  C++:    $CXX_FOUND"
else
  fail "a C++ compiler (e.g. apt install build-essential)"
fi
if "$PYTHON" -m pip --version >/dev/null 2>&1; then
  echo "  pip:    $("$PYTHON" -m pip --version | cut -d' ' -f1-2) for $("$PYTHON" -c 'import sys; print(sys.executable)')"
else
  fail "pip for $PYTHON (set PYTHON=/path/to/venv/bin/python)"
fi
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  echo "  GPU:    $(nvidia-smi -L | head -n1)"
else
  echo "  GPU:    none on this machine (fine for building; the wheel runs where a GPU is)"
fi

CMAKE_ARGS_VALUE="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=${ARCHS}${EXTRA_CMAKE}"
COMMAND=(env "CMAKE_ARGS=${CMAKE_ARGS_VALUE}" FORCE_CMAKE=1 "CMAKE_BUILD_PARALLEL_LEVEL=${JOBS}")
[[ -n "$NVCC" ]] && COMMAND+=("CUDACXX=${NVCC}")
COMMAND+=("$PYTHON" -m pip wheel --no-deps --no-binary llama-cpp-python --no-cache-dir -w "$OUT_DIR" "$SOURCE")

echo
echo "Build command:"
printf ' %q' "${COMMAND[@]}"
echo
if [[ $problems -gt 0 ]]; then
  echo "error: $problems problem(s), see above" >&2
  exit 1
fi
if [[ $CHECK_ONLY -eq 1 ]]; then
  echo "Preflight OK (nothing built; run without --check to build)."
  exit 0
fi

mkdir -p "$OUT_DIR"
started=$(date +%s)
"${COMMAND[@]}"
WHEEL="$(ls -t "$OUT_DIR"/llama_cpp_python-*.whl | head -n1)"
echo
echo "Built in $(( ($(date +%s) - started) / 60 )) min: $WHEEL"
echo "Install it into Wenku's environment (replacing the CPU build):"
echo "  $PYTHON -m pip install --force-reinstall --no-deps '$WHEEL'"
if [[ -n "$EXTRA_CMAKE" ]]; then
  echo "cuBLAS came from $CUBLAS_LIB: at run time the loader must find it there too, e.g."
  echo "  export LD_LIBRARY_PATH=$CUBLAS_LIB\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
fi
echo "Then check what Wenku sees:"
echo "  wenku device        # CUDA build, GPU, free video memory, layers that would be offloaded"
