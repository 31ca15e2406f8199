#!/usr/bin/env bash
# Refresh webapp/static/vendor from the npm registry at the versions pinned in package.json.
# Only a developer runs this (it needs npm and the network); running Kaap needs neither.
set -euo pipefail
cd "$(dirname "$0")/.."
out=webapp/static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

version() { python3 -c 'import json,sys; print(json.load(open(sys.argv[2]))["dependencies"][sys.argv[1]])' "$1" "$PWD/package.json"; }

fetch() {  # fetch NAME -> unpacks the pinned tarball into $tmp/NAME
  local name=$1 dir="$tmp/$1"
  mkdir -p "$dir"
  local v; v=$(version "$name"); (cd "$tmp" && npm pack --silent "$name@$v" >/dev/null)
  tar xzf "$tmp"/"$(echo "${name#@}" | tr / -)"-*.tgz -C "$dir" --strip-components=1
}

rm -rf "$out" && mkdir -p "$out"

fetch material-icons
icons="$out/material-icons"
mkdir -p "$icons"
cp "$tmp/material-icons/LICENSE" "$tmp/material-icons/package.json" "$icons/"
for style in outlined material-icons; do
  cp "$tmp/material-icons/iconfont/$style.css" "$icons/"
done
cp "$tmp"/material-icons/iconfont/material-icons{,-outlined}.woff{,2} "$icons/"

fetch @fontsource/roboto
roboto="$out/roboto"
mkdir -p "$roboto/files"
cp "$tmp/@fontsource/roboto/LICENSE" "$tmp/@fontsource/roboto/package.json" "$roboto/"
for weight in 400 500; do
  cp "$tmp/@fontsource/roboto/$weight.css" "$roboto/"
  cp "$tmp"/@fontsource/roboto/files/roboto-*-"$weight"-normal.woff{,2} "$roboto/files/"
done

fetch @fontsource/noto-sans-kr
korean="$out/noto-sans-kr"
mkdir -p "$korean/files"
cp "$tmp/@fontsource/noto-sans-kr/LICENSE" "$tmp/@fontsource/noto-sans-kr/package.json" "$korean/"
# Weight 500 only: Keep's medium text (titles, labels) in Korean, after Roboto in those font stacks;
# text at 400 keeps the system's Korean face at 400, so no second 2 MB weight. woff2 only (every
# engine that runs the page's ES modules reads it): the browser fetches just the unicode-range
# subsets a page's characters fall in.
sed -E "s/, url\([^)]*\.woff\) format\('woff'\)//" "$tmp/@fontsource/noto-sans-kr/500.css" >"$korean/500.css"
grep -o 'files/[^)]*\.woff2' "$korean/500.css" | sort -u | while read -r file; do
  cp "$tmp/@fontsource/noto-sans-kr/$file" "$korean/files/"
done

fetch sortablejs
sortable="$out/sortablejs"
mkdir -p "$sortable"
# The ES module build with its default plugins (auto-scroll while dragging near an edge): the page's modules import it, no build step, no global.
cp "$tmp/sortablejs/LICENSE" "$tmp/sortablejs/package.json" "$tmp/sortablejs/modular/sortable.esm.js" "$sortable/"

fetch diff
jsdiff="$out/diff"
mkdir -p "$jsdiff"
# jsdiff's ES module build (libesm: modules importing each other by relative path), for the Version
# history's highlighted changes; its .d.ts and source maps are left out, the page needs neither.
cp "$tmp/diff/LICENSE" "$tmp/diff/package.json" "$jsdiff/"
(cd "$tmp/diff/libesm" && find . -name '*.js' -o -name package.json) | while read -r file; do
  mkdir -p "$jsdiff/libesm/$(dirname "$file")"
  cp "$tmp/diff/libesm/$file" "$jsdiff/libesm/$file"
done

echo "vendored into $out:" && du -sh "$out"/*
