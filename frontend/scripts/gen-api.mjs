#!/usr/bin/env node
// Generate the typed API client's types from the backend's OpenAPI document.
//
//   node scripts/gen-api.mjs                 # dump /openapi.json from the app (no server needed)
//   node scripts/gen-api.mjs --from FILE|URL # or read it from a file or a running server
//   node scripts/gen-api.mjs --check         # fail when the generated files are out of date
//   node scripts/gen-api.mjs --if-missing    # generate only when they do not exist yet (npm's pre-scripts)
//
// Writes src/client/schema.d.ts (openapi-typescript) and src/client/pending.json. Both are build output,
// not source: git ignores them, `make web` regenerates them, and `npm run typecheck|build|test|dev`
// generate them first in a fresh clone.
// Routes of DESIGN §5 that the server does not serve yet come from contract/design-v1.mjs and are
// listed in src/client/pending.json; a served route always wins over the contract.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { contract } from '../contract/design-v1.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const repo = resolve(root, '..');
const outDir = join(root, 'src', 'client');
const args = process.argv.slice(2);
const check = args.includes('--check');
const ifMissing = args.includes('--if-missing');
const OUTPUTS = ['schema.d.ts', 'pending.json'];
// The outputs depend on this script and the contract too: regenerate when either is newer than them.
const INPUTS = [fileURLToPath(import.meta.url), join(root, 'contract', 'design-v1.mjs')];
const upToDate = (name) => {
  const file = join(outDir, name);
  return existsSync(file) && INPUTS.every((input) => statSync(input).mtimeMs <= statSync(file).mtimeMs);
};
if (ifMissing && OUTPUTS.every(upToDate)) process.exit(0);
const fromIdx = args.indexOf('--from');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

async function loadServerDocument() {
  if (fromIdx >= 0) {
    const src = args[fromIdx + 1];
    if (/^https?:/.test(src)) return (await fetch(src)).json();
    return JSON.parse(readFileSync(src, 'utf8'));
  }
  const python = [join(repo, '.venv', 'bin', 'python'), 'python3'].find((p) => p === 'python3' || existsSync(p));
  const dataDir = mkdtempSync(join(tmpdir(), 'creditdesk-openapi-'));
  try {
    const out = execFileSync(
      python,
      ['-c', 'import json; from creditdesk.main import create_app; print(json.dumps(create_app().openapi()))'],
      {
        cwd: repo,
        env: { ...process.env, CREDITDESK_MODE: 'dev', CREDITDESK_DATA_DIR: dataDir, CREDITDESK_LOG_LEVEL: 'WARNING' },
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    // Start-up log lines may precede the document: take the last line.
    const lines = out.toString().trim().split('\n');
    return JSON.parse(lines[lines.length - 1]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function merge(server) {
  const doc = structuredClone(server);
  doc.paths ??= {};
  doc.components ??= {};
  doc.components.schemas ??= {};
  Object.assign(doc.components.schemas, contract.components.schemas);
  const text = JSON.stringify(server);
  for (const [name, schema] of Object.entries(contract.fallbacks)) {
    if (!doc.components.schemas[name] && text.includes(`"#/components/schemas/${name}"`)) {
      console.warn(`gen-api: server document references undefined schema ${name}; using the contract's`);
      doc.components.schemas[name] = schema;
    }
  }
  const pending = [];
  const served = [];
  for (const [path, item] of Object.entries(contract.paths)) {
    const target = (doc.paths[path] ??= {});
    for (const method of METHODS) {
      if (!item[method]) continue;
      if (target[method]) {
        served.push(`${method.toUpperCase()} ${path}`);
        continue;
      }
      target[method] = { ...item[method], 'x-creditdesk-pending': true };
      if (item.parameters) {
        target[method].parameters = [...item.parameters, ...(item[method].parameters ?? [])];
      }
      pending.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return { doc, pending, served };
}

// An uploaded file (a multipart field; OpenAPI 3.1 `contentMediaType: application/octet-stream`, 3.0
// `format: binary`) is a Blob — a File is one — not the string openapi-typescript makes of it.
const BLOB = ts.factory.createTypeReferenceNode('Blob');
const NULL = ts.factory.createLiteralTypeNode(ts.factory.createNull());
function isBinary(schema) {
  const types = [schema.type].flat();
  return (
    types.includes('string') &&
    (schema.format === 'binary' || schema.contentMediaType === 'application/octet-stream' || schema.contentEncoding === 'binary')
  );
}
function transform(schema) {
  if (!isBinary(schema)) return undefined;
  const nullable = schema.nullable === true || [schema.type].flat().includes('null');
  return nullable ? ts.factory.createUnionTypeNode([BLOB, NULL]) : BLOB;
}

const server = await loadServerDocument();
const { doc, pending, served } = merge(server);
const ast = await openapiTS(doc, { alphabetize: true, transform });
const header =
  "/**\n * GENERATED by scripts/gen-api.mjs from the backend's /openapi.json — do not edit.\n" +
  ' * Routes not served yet come from contract/design-v1.mjs (see pending.json).\n */\n\n';
const files = {
  'schema.d.ts': header + astToString(ast),
  'pending.json': JSON.stringify({ pending }, null, 2) + '\n',
};

let stale = false;
for (const [name, text] of Object.entries(files)) {
  const file = join(outDir, name);
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (old === text) {
    // unchanged, but now known to be current: --if-missing compares its time with the inputs'
    if (!check) utimesSync(file, new Date(), new Date());
    continue;
  }
  if (check) {
    console.error(`gen-api: ${name} is out of date — run npm run gen:api`);
    stale = true;
  } else {
    // write then rename: a type-check running at the same time never reads half a file
    writeFileSync(`${file}.${process.pid}.tmp`, text);
    renameSync(`${file}.${process.pid}.tmp`, file);
    console.log(`gen-api: wrote src/client/${name}`);
  }
}
console.log(`gen-api: ${Object.keys(server.paths ?? {}).length} served paths; ${pending.length} contract operations pending`);
if (served.length) {
  console.log(`gen-api: now served (drop from contract/design-v1.mjs): ${served.join(', ')}`);
}
process.exit(stale ? 1 : 0);
