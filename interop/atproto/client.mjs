// Small @atproto/api CLI for Bluelamp's AT Protocol interop tests.
// Each subcommand prints exactly one JSON line on stdout; on failure it prints
// {"error": "...", "status"?: N, "xrpcError"?: "..."} on stdout and exits 1.
//
//   create-account <pds> <handle> <email> <password>      -> {"did","handle","accessJwt"}
//   app-password   <pds> <identifier> <password> <name>   -> {"password","name"}
//   get-post       <appview-or-pds> <at-uri> [--control URL] [--timeout MS]
//                  -> {"source","uri","cid","author","record","embedView"}
//   reply          <pds> <identifier> <password> <parent-at-uri> <text> -> {"uri","cid"}
//   exists         <pds> <at-uri>                          -> {"exists":true|false}
//
// get-post reads app.bsky.feed.getPosts from the AppView, retrying until the
// post is indexed (default 15 s). If --control (or $ATPROTO_CONTROL) names the
// network.mjs control endpoint it first POSTs /process-all there. If the URL
// is a PDS (no getPosts), it falls back to com.atproto.repo.getRecord
// ("source":"pds", no embedView).

import { AtpAgent } from '@atproto/api';

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

function fail(err) {
  out({
    error: String(err?.message ?? err),
    ...(err?.status !== undefined ? { status: err.status } : {}),
    ...(err?.error ? { xrpcError: err.error } : {}),
  });
  process.exit(1);
}

function usage() {
  fail(
    'usage: client.mjs create-account <pds> <handle> <email> <password> | ' +
      'app-password <pds> <identifier> <password> <name> | ' +
      'get-post <appview-or-pds> <at-uri> [--control URL] [--timeout MS] | ' +
      'reply <pds> <identifier> <password> <parent-at-uri> <text> | ' +
      'follow <pds> <identifier> <password> <did> | ' +
      'exists <pds> <at-uri>',
  );
}

// at://<did-or-handle>/<collection>/<rkey>
function parseAtUri(uri) {
  const m = /^at:\/\/([^/]+)\/([^/]+)\/([^/?#]+)$/.exec(uri ?? '');
  if (!m) throw new Error(`not an at:// record URI: ${uri}`);
  return { repo: m[1], collection: m[2], rkey: m[3] };
}

async function login(service, identifier, password) {
  const agent = new AtpAgent({ service });
  await agent.login({ identifier, password });
  return agent;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function takeOpt(args, name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

const commands = {
  async 'create-account'([pds, handle, email, password]) {
    if (!password) usage();
    const agent = new AtpAgent({ service: pds });
    const { data } = await agent.createAccount({ handle, email, password });
    out({ did: data.did, handle: data.handle, accessJwt: data.accessJwt });
  },

  async 'app-password'([pds, identifier, password, name]) {
    if (!name) usage();
    const agent = await login(pds, identifier, password);
    const { data } = await agent.com.atproto.server.createAppPassword({ name });
    out({ password: data.password, name: data.name });
  },

  async 'get-post'(args) {
    const control = takeOpt(args, '--control') ?? process.env.ATPROTO_CONTROL;
    const timeout = Number(takeOpt(args, '--timeout') ?? 15_000);
    const [service, uri] = args;
    if (!uri) usage();
    parseAtUri(uri);
    const agent = new AtpAgent({ service });
    const deadline = Date.now() + timeout;
    let lastErr;
    while (true) {
      if (control) {
        await fetch(new URL('/process-all', control), { method: 'POST' })
          .then((r) => r.arrayBuffer())
          .catch(() => {});
      }
      try {
        const { data } = await agent.app.bsky.feed.getPosts({ uris: [uri] });
        const post = data.posts[0];
        if (post) {
          out({
            source: 'appview',
            uri: post.uri,
            cid: post.cid,
            author: { did: post.author.did, handle: post.author.handle },
            record: post.record,
            embedView: post.embed ?? null,
            replyCount: post.replyCount,
            indexedAt: post.indexedAt,
          });
          return;
        }
        lastErr = new Error(`post not (yet) indexed by the AppView: ${uri}`);
      } catch (err) {
        // Not an AppView (e.g. a PDS without auth): read the record itself.
        if (err?.status === 501 || err?.status === 404 || err?.error === 'MethodNotImplemented' ||
            err?.status === 401 || err?.error === 'AuthMissing') {
          const { repo, collection, rkey } = parseAtUri(uri);
          const { data } = await agent.com.atproto.repo.getRecord({ repo, collection, rkey });
          out({ source: 'pds', uri: data.uri, cid: data.cid, author: { did: repo }, record: data.value, embedView: null });
          return;
        }
        lastErr = err;
      }
      if (Date.now() >= deadline) throw lastErr;
      await sleep(250);
    }
  },

  async reply([pds, identifier, password, parentUri, text]) {
    if (text === undefined) usage();
    const agent = await login(pds, identifier, password);
    const p = parseAtUri(parentUri);
    const { data: parent } = await agent.com.atproto.repo.getRecord(p);
    const parentRef = { uri: parent.uri, cid: parent.cid };
    const root = parent.value?.reply?.root ?? parentRef;
    const res = await agent.post({
      text,
      reply: { root: { uri: root.uri, cid: root.cid }, parent: parentRef },
      createdAt: new Date().toISOString(),
    });
    out({ uri: res.uri, cid: res.cid });
  },

  async follow([pds, identifier, password, subject]) {
    if (!subject) usage();
    const agent = await login(pds, identifier, password);
    const res = await agent.follow(subject);
    out({ uri: res.uri });
  },

  async exists([pds, uri]) {
    if (!uri) usage();
    const agent = new AtpAgent({ service: pds });
    try {
      await agent.com.atproto.repo.getRecord(parseAtUri(uri));
      out({ exists: true });
    } catch (err) {
      if (err?.error === 'RecordNotFound' || err?.status === 404 || /could not find repo/i.test(err?.message ?? '')) {
        out({ exists: false });
      }
      else throw err;
    }
  },
};

const [cmd, ...args] = process.argv.slice(2);
if (!commands[cmd]) usage();
try {
  await commands[cmd](args);
} catch (err) {
  fail(err);
}
