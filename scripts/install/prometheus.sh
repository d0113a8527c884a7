#!/usr/bin/env bash
# Install a real Prometheus server for the remediation Reviewer's tests.
#
# Why Debian's package: it is the one offline-reachable source of a prebuilt Prometheus
# (the package registries are the only network this project may use). The test fixture
# (tests/support/prometheus.py) runs the binary itself on loopback with a temporary config;
# the system service this package ships is never started or relied upon.
#
# Idempotent: does nothing when a `prometheus` binary is already on PATH.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1; then
    echo "prometheus already installed: $(command -v prometheus)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# policy-rc.d stops Debian's maintainer scripts from starting the packaged service: tests run
# their own instance, and a second one on :9090 would only compete for two shared cores.
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod +x "$POLICY"
    CREATED_POLICY=1
fi
cleanup() {
    if [ "$CREATED_POLICY" = 1 ]; then
        $SUDO rm -f "$POLICY"
    fi
}
trap cleanup EXIT

$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends prometheus

command -v prometheus >/dev/null 2>&1 || { echo "prometheus binary not found after install" >&2; exit 1; }
prometheus --version
