// Start `creditdesk serve --demo` on a free port with a fresh data directory; stop it afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

async function waitReady(base: string, server: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`creditdesk serve exited with ${server.exitCode}; see ${logFile}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`creditdesk serve did not become ready in ${timeoutMs / 1000}s; see ${logFile}`);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (process.env.E2E_BASE_URL) return async () => {}; // an already running server
  if (!existsSync(join(repo, 'src', 'creditdesk', 'static', 'index.html'))) {
    throw new Error('The portal is not built: run `make web` (or `npm run build` in frontend/) first');
  }
  const python = join(repo, '.venv', 'bin', 'creditdesk');
  const dataDir = mkdtempSync(join(tmpdir(), 'creditdesk-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = join(dataDir, 'server.log');
  const log = openSync(logFile, 'a');
  const server = spawn(python, ['serve', '--demo', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: repo,
    env: { ...process.env, CREDITDESK_DATA_DIR: dataDir, CREDITDESK_LOG_LEVEL: 'WARNING' },
    stdio: ['ignore', log, log],
  });
  try {
    // the demo book is built through the payment, bounce and disbursement paths: minutes on a busy runner
    await waitReady(base, server, logFile, 480_000);
  } catch (err) {
    server.kill('SIGTERM');
    throw err;
  }
  process.env.E2E_BASE_URL = base;
  process.env.E2E_DATA_DIR = dataDir;
  return async () => {
    server.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => {
        server.kill('SIGKILL');
        r(null);
      }, 15_000);
      server.once('exit', () => {
        clearTimeout(t);
        r(null);
      });
    });
    if (!process.env.E2E_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true });
  };
}
