// `npm run bench -- capacity [--persons 1e6] [--instances 1,2,4] [--seconds 20] [--crl-entries 1e6]
// [--partition 1e5] [--sample 1000] [--keep]`: capacity toward national scale, measured on this machine
// (docs/capacity.md holds one run's figures and the arithmetic to Japan's scale). Several minutes; the
// default registry of 10 million persons takes ~40 GB of PostgreSQL and most of an hour on 2 cores.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

import { openWithPassphrase, sealWithPassphrase } from '@openmyna/pki';
import pg from 'pg';

import { measureCrlPartition, type CrlMeasure } from './capacity-crl.js';
import {
  parseCapacityOptions,
  projectNationalScale,
  type MeasuredCapacity,
  type NationalAssumptions,
} from './capacity-model.js';
import { createDatabase, dropDatabase, loadRegistry, tableSizes, type RegistryLoad } from './capacity-registry.js';
import { runScaling, type MeasuredLoad, type ScalingRun } from './capacity-scaling.js';

const ADMIN_URL = process.env['OPENMYNA_BENCH_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const ISSUER_DB = 'openmyna_capacity';
const VERIFIER_DB = 'openmyna_capacity_verifier';

/** docs/capacity.md §Assumptions says where each figure comes from, and which are this project's own. */
export const NATIONAL: NationalAssumptions = {
  cards: 100_000_000,
  persons: 125_000_000,
  certificatesPerCard: 3,
  peakOcspPerSecond: 5000,
  peakProvisioningPerSecond: 60,
  peakLoginsPerSecond: 5000,
  peakPresentationsPerSecond: 1000,
  revokedCertificates: 20_000_000,
  crlPartitionEntries: 100_000,
  headroom: 1.5,
};

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GB`;

async function printMachine(): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  const version = (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
  await client.end();
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
  console.log(`\nCapacity on ${new Date().toISOString()}: ${cpus().length} cores (${model}), ${gb(totalmem())} RAM,`);
  console.log(
    `  PostgreSQL ${version}, Node ${process.version}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

/** The baseline of every rate: raw RSA-2048 signatures per second on one core (OpenSSL), this run. */
function rsaSignaturesPerSecond(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = new Uint8Array(180).fill(1);
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < 2000) {
    sign('sha256', data, privateKey);
    done++;
  }
  return done / ((performance.now() - started) / 1000);
}

/**
 * What opening one key sealed in the data directory costs (PBKDF2-SHA-256 at the default 600,000
 * iterations, then AES-GCM): `openmyna issuer serve` opens the municipality's 入力補助 and 券面 issuer
 * keys on every provisioning (apps/cli/src/card-face-store.ts), off the event loop.
 */
async function sealedKeyOpeningMs(): Promise<number> {
  const box = await sealWithPassphrase(new Uint8Array(1200), 'capacity bench');
  const started = performance.now();
  await openWithPassphrase(box, 'capacity bench');
  return performance.now() - started;
}

function printRegistry(load: RegistryLoad): void {
  console.log(
    `  COPY ${load.persons.toLocaleString('en')} persons: ${load.copySeconds.toFixed(1)} s (${Math.round(load.persons / load.copySeconds)} persons/s); ` +
      `unique indexes rebuilt ${load.uniqueIndexSeconds.toFixed(1)} s; analyze ${load.analyzeSeconds.toFixed(1)} s`,
  );
  for (const size of load.sizes) {
    console.log(
      `  ${size.table.padEnd(17)} ${size.rows.toLocaleString('en').padStart(12)} rows  heap ${mb(size.heap)}, TOAST ${mb(size.toast)}, indexes ${mb(size.indexes)}, total ${mb(size.total)} (${(size.total / Math.max(1, size.rows)).toFixed(0)} B/row)`,
    );
    for (const index of size.perIndex) console.log(`    ${index.name.padEnd(30)} ${mb(index.bytes)}`);
  }
  console.log(
    `  per person beyond the persons row (createPerson sample of ${load.sample}): card_face_images ${load.faceImageBytes.toFixed(0)} B, audit_log ${load.auditBytes.toFixed(0)} B`,
  );
}

function printCrl(large: CrlMeasure, proposed: CrlMeasure, rsa: number): void {
  for (const crl of [large, proposed])
    console.log(
      `  ${crl.entries.toLocaleString('en').padStart(9)} entries: ${mb(crl.bytes)} (${(crl.bytes / crl.entries).toFixed(1)} B/entry); build ${crl.buildSeconds.toFixed(2)} s, lint + sign ${crl.signSeconds.toFixed(2)} s ` +
        `(= ${Math.round((crl.buildSeconds + crl.signSeconds) * rsa).toLocaleString('en')} raw RSA-2048 signatures)`,
    );
}

function printScaling(runs: readonly ScalingRun[], rsa: number): void {
  console.log(`\n  summary (baseline: ${rsa.toFixed(0)} raw RSA-2048 signatures/s on one core, this run)`);
  console.log(
    '  instances  load avg  OCSP/s (× baseline)   provisionings/s (×)   JPKI logins/s (×)   presentations/s (×)   vs 1 instance',
  );
  const first = runs[0]!;
  for (const run of runs) {
    const cell = (rate: number) => `${rate.toFixed(1).padStart(8)} (${(rate / rsa).toFixed(3)}×)`;
    const scale = (pick: (r: ScalingRun) => number) => (pick(run) / pick(first)).toFixed(2);
    console.log(
      `  ${String(run.instances).padStart(9)}  ${run.loadAverage.toFixed(2).padStart(8)}  ${cell(run.ocsp.perSecond)}   ${cell(run.provisioning.perSecond)}   ${cell(run.logins.perSecond)}   ${cell(run.presentations.perSecond)}   ` +
        `OCSP ${scale((r) => r.ocsp.perSecond)}×, provisioning ${scale((r) => r.provisioning.perSecond)}×, logins ${scale((r) => r.logins.perSecond)}×, presentations ${scale((r) => r.presentations.perSecond)}×`,
    );
  }
  console.log('  service CPU per operation → operations per core-second (contention aside)');
  for (const run of runs) {
    const cell = (ms: number) => `${ms.toFixed(2)} ms → ${(1000 / ms).toFixed(0)}/s`;
    console.log(
      `  ${String(run.instances).padStart(9)}  OCSP ${cell(run.ocsp.serviceCpuMs)}, provisioning ${cell(run.provisioning.serviceCpuMs)}, login ${cell(run.logins.serviceCpuMs)}, presentation ${cell(run.presentations.serviceCpuMs)}`,
    );
  }
}

function printProjection(measured: MeasuredCapacity): void {
  const projection = projectNationalScale(measured, NATIONAL);
  console.log(
    '\nJapan (assumptions in docs/capacity.md; an instance is one core, its rate from the service CPU per operation)',
  );
  console.log(`  assumed: ${JSON.stringify(NATIONAL)}`);
  console.log(`  measured: ${JSON.stringify(measured)}`);
  console.log(
    `  issuer instances: ${projection.issuerInstancesForOcsp} for OCSP, ${projection.issuerInstancesForProvisioning} for provisioning; verifier instances: ${projection.verifierInstances}`,
  );
  console.log(
    `  registry ${gb(projection.registryBytes)} (persons, face images, audit), certificates ${gb(projection.certificateBytes)}; ` +
      `CRL: at least ${projection.crlPartitions} partitions of ≤ ${NATIONAL.crlPartitionEntries.toLocaleString('en')} entries (≤ ${mb(projection.crlPartitionBytes)} each)`,
  );
}

/** The whole capacity run; the databases are dropped at the end unless `--keep`. */
export async function benchCapacity(): Promise<void> {
  const options = parseCapacityOptions(process.argv.slice(3));
  await printMachine();
  const rsa = rsaSignaturesPerSecond();
  console.log(`  baseline: ${rsa.toFixed(0)} raw RSA-2048 signatures/s on one core`);
  const registryKey = new Uint8Array(randomBytes(32));
  const issuerDb = await createDatabase(ADMIN_URL, ISSUER_DB);
  const verifierDb = await createDatabase(ADMIN_URL, VERIFIER_DB);
  try {
    console.log(`\nRegistry: ${options.persons.toLocaleString('en')} synthetic persons into database ${ISSUER_DB}`);
    const registry = await loadRegistry(issuerDb, registryKey, options.persons, options.sample);
    printRegistry(registry);
    console.log('\nCRL partitions (prepareCrl + signCrl, one core)');
    const large = await measureCrlPartition(options.crlEntries);
    const proposed = await measureCrlPartition(options.partition);
    printCrl(large, proposed, rsa);
    console.log(
      `\nThroughput over PostgreSQL${options.redis ? ` and Redis (${options.redis})` : ''}, instances ${options.instances.join(' → ')} (load: this process)`,
    );
    const runs = await runScaling(
      {
        issuerDb,
        verifierDb,
        registryKey: Buffer.from(registryKey).toString('base64'),
        firstFreeIndex: options.persons + options.sample,
        seconds: options.seconds,
        ...(options.redis ? { redis: options.redis } : {}),
      },
      options.instances,
    );
    printScaling(runs, rsa);
    console.log(
      `  opening one sealed key (PBKDF2-SHA-256 × 600,000 + AES-GCM), twice per provisioning in the issuer service: ${(await sealedKeyOpeningMs()).toFixed(0)} ms`,
    );
    const [certificates] = await tableSizes(issuerDb, ['certificates']);
    // Per core: the operations one core-second of the service's CPU buys, in the least contended run.
    const best = (pick: (run: ScalingRun) => MeasuredLoad) =>
      Math.max(...runs.map((run) => 1000 / pick(run).serviceCpuMs));
    printProjection({
      personBytes: registry.sizes[0]!.total / registry.sizes[0]!.rows,
      faceImageBytes: registry.faceImageBytes,
      auditBytes: registry.auditBytes,
      certificateBytes: certificates!.total / Math.max(1, certificates!.rows),
      ocspPerInstance: best((run) => run.ocsp),
      provisioningPerInstance: best((run) => run.provisioning),
      loginsPerInstance: best((run) => run.logins),
      presentationsPerInstance: best((run) => run.presentations),
      crlBytesPerEntry: large.bytes / large.entries,
    });
  } finally {
    if (!options.keep) {
      await dropDatabase(ADMIN_URL, ISSUER_DB);
      await dropDatabase(ADMIN_URL, VERIFIER_DB);
    }
  }
}
