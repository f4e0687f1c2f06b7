#!/usr/bin/env bash
# Builds the end-to-end test control plane (kube-apiserver, kubectl, etcd), krew and helm from their Go modules.
# Binaries are cached by version under ~/.cache/kubectl-sidecars, so only the first run pays the build.
# Prints the directory holding the binaries of each component on stdout, as NAME=DIR lines.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.36.3}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
KREW_VERSION=${KREW_VERSION:-v0.5.0}
HELM_VERSION=${HELM_VERSION:-v3.20.2}
CACHE=${KUBECTL_SIDECARS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-sidecars}
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

log() { echo "build-control-plane: $*" >&2; }

# need_go: checked only before a build, so cached binaries stay usable on a machine without Go.
need_go() { command -v go >/dev/null || { log "go is not installed: cannot build $1"; exit 3; }; }

# new_module NAME: an empty wrapper module in a fresh temporary folder (the cwd afterwards).
new_module() {
  local dir
  dir=$(mktemp -d)
  trap "rm -rf '$dir'" EXIT
  cd "$dir"
  go mod init "kubectl-sidecars.test/$1" >/dev/null 2>&1
}

# imports_file PKG...: a tools.go importing the main packages, so `go mod tidy` keeps their modules.
imports_file() {
  { echo "//go:build tools"; echo "package tools"; echo "import ("
    for pkg in "$@"; do echo "	_ \"$pkg\""; done
    echo ")"; } > tools.go
}

# install_into DIR: moves the built ./bin/* into the cache folder in one rename, so a half build is never cached.
install_into() {
  mkdir -p "$(dirname "$1")"
  rm -rf "$1.partial"
  mv bin "$1.partial"
  mv "$1.partial" "$1"
}

build_kubernetes() {
  local out=$CACHE/kubernetes-$K8S_VERSION staging_version gomod ldflags pkg now
  if [ -x "$out/kube-apiserver" ] && [ -x "$out/kubectl" ]; then echo "kubernetes=$out"; return; fi
  need_go kubernetes
  log "building kube-apiserver and kubectl $K8S_VERSION (cold: 10-25 min on 2 cores)"
  (
    new_module kubernetes
    go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
    # k8s.io/kubernetes requires its staging modules at v0.0.0 through replace lines that only apply
    # inside its own repository: point each one at the published tag of the same release.
    staging_version="v0.${K8S_VERSION#v1.}"
    gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
    for module in $(go mod edit -json "$gomod" | python3 -c '
import json, sys
for req in json.load(sys.stdin)["Require"]:
    if req["Version"] == "v0.0.0":
        print(req["Path"])'); do
      go mod edit -replace="$module=$module@$staging_version"
    done
    imports_file k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
    go mod tidy >&2
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
      ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$now"
    done
    mkdir bin
    go build -trimpath -ldflags "$ldflags" -o bin/ k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl >&2
    install_into "$out"
  )
  echo "kubernetes=$out"
}

# build_tool NAME DIR MODULE@VERSION LDFLAGS OUTPUT PACKAGE...: builds the main PACKAGEs of one module into DIR
# (OUTPUT: bin/ names each binary after its package, bin/NAME names the only one). A wrapper module requiring
# the tag rather than `go install pkg@version`: the proxy serves the tags of krew and helm but not their
# version lists, which `go install` asks for.
build_tool() {
  local name=$1 out=$2 module=$3 ldflags=$4 output=$5
  shift 5
  need_go "$name"
  log "building $name ${module##*@}"
  (
    new_module "$name"
    go mod edit -require="$module"
    imports_file "$@"
    go mod tidy >&2
    mkdir bin
    go build -trimpath -ldflags "$ldflags" -o "$output" "$@" >&2
    install_into "$out"
  )
}

build_etcd() {
  local out=$CACHE/etcd-$ETCD_VERSION
  if [ ! -x "$out/etcd" ]; then
    build_tool etcd "$out" "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "-s -w" bin/etcd go.etcd.io/etcd/server/v3
  fi
  echo "etcd=$out"
}

build_krew() {
  local out=$CACHE/krew-$KREW_VERSION
  if [ ! -x "$out/krew" ] || [ ! -x "$out/validate-krew-manifest" ]; then
    build_tool krew "$out" "sigs.k8s.io/krew@$KREW_VERSION" "-s -w" bin/ \
      sigs.k8s.io/krew/cmd/krew sigs.k8s.io/krew/cmd/validate-krew-manifest
  fi
  echo "krew=$out"
}

build_helm() {
  local out=$CACHE/helm-$HELM_VERSION
  if [ ! -x "$out/helm" ]; then
    build_tool helm "$out" "helm.sh/helm/v3@$HELM_VERSION" \
      "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" bin/ helm.sh/helm/v3/cmd/helm
  fi
  echo "helm=$out"
}

components=("$@")
[ ${#components[@]} -gt 0 ] || components=(etcd kubernetes krew helm)
for component in "${components[@]}"; do
  start=$SECONDS
  "build_$component"
  log "$component ready after $((SECONDS - start)) s"
done
