// The scaling runs of `npm run bench -- capacity`: 1 → 2 → 4 issuer and verifier instances (real
// processes of the built CLI) over one PostgreSQL database per service, each run driving the three loads.
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';

import { derFromPemOrDer } from '@openmyna/pki';

import {
  adultIndexes,
  cpuSeconds,
  prepareDataDir,
  registerRelyingParties,
  registerWithCard,
  startInstance,
  stopInstances,
  type Instance,
  type IssuedCard,
} from './capacity-cluster.js';
import {
  loadLogins,
  loadOcsp,
  loadPresentations,
  loadProvisioning,
  ocspRequests,
  type LoadResult,
} from './capacity-load.js';

/** The cards provisioned in parallel, the completions per card, the login clients and logins each. */
const CARDS = 8;
const COMPLETIONS_PER_CARD = 8;
const LOGIN_WORKERS = 32;
const LOGINS_PER_WORKER = 20;
/** The wallet clients presenting the phones' mdocs, and presentations each. */
const PRESENTATION_WORKERS = 16;
const PRESENTATIONS_PER_WORKER = 10;
/** Relying parties whose API keys the logins rotate through (each key: 20 requests/s per instance). */
const RELYING_PARTIES = 64;
/** The first issuer's port, which the data directory's certificates name (OCSP); the others take any free port. */
const ISSUER_PORT = 38_400;

/** A load's result with the CPU its service's processes spent per operation, in milliseconds. */
export type MeasuredLoad = LoadResult & { readonly serviceCpuMs: number };

export interface ScalingRun {
  readonly instances: number;
  readonly loadAverage: number;
  readonly ocsp: MeasuredLoad;
  readonly provisioning: MeasuredLoad;
  readonly logins: MeasuredLoad;
  readonly presentations: MeasuredLoad;
}

/**
 * Runs `load` with a meter of the `instances`' CPU, and adds the CPU they spent per timed operation (the
 * loads read the meter around their timed part only, warm-up rounds left out).
 */
async function withServiceCpu<T extends { result: LoadResult }>(
  instances: readonly Instance[],
  load: (meter: () => number) => Promise<T>,
): Promise<T & { measured: MeasuredLoad }> {
  const outcome = await load(() => cpuSeconds(instances));
  const serviceCpuMs = ((outcome.result.metered ?? 0) * 1000) / Math.max(1, outcome.result.operations);
  return { ...outcome, measured: { ...outcome.result, serviceCpuMs } };
}

export interface ScalingSetup {
  readonly issuerDb: string;
  readonly verifierDb: string;
  /** The issuer's registry key, base64 (`OPENMYNA_ISSUER_REGISTRY_KEY`): the bulk-loaded rows are sealed under it. */
  readonly registryKey: string;
  /** The first population index not yet in the registry. */
  readonly firstFreeIndex: number;
  readonly seconds: number;
  /** Shared rate limits, caches and relay sessions (`--redis`); without it each instance keeps its own. */
  readonly redis?: string;
}

async function startCluster(setup: ScalingSetup, dataDir: string, count: number) {
  const instances = Array.from({ length: count }, (_, i) => i);
  const issuers: Instance[] = [];
  const verifiers: Instance[] = [];
  try {
    issuers.push(
      ...(await Promise.all(
        instances.map((i) =>
          startInstance('issuer', dataDir, setup.issuerDb, i === 0 ? ISSUER_PORT : 0, setup.registryKey, setup.redis),
        ),
      )),
    );
    verifiers.push(
      ...(await Promise.all(
        instances.map(() => startInstance('verifier', dataDir, setup.verifierDb, 0, setup.registryKey, setup.redis)),
      )),
    );
  } catch (error) {
    await stopInstances([...issuers, ...verifiers]);
    throw error;
  }
  return { issuers, verifiers };
}

const describe = (result: MeasuredLoad) =>
  `${result.perSecond.toFixed(1)}/s, service CPU ${result.serviceCpuMs.toFixed(2)} ms each (${result.operations} done, ${result.errors} failed, p50 ${result.p50} ms, p99 ${result.p99} ms${result.clientCpu === undefined ? '' : `, load generator ${(result.clientCpu * 100).toFixed(0)} % of a core`})${result.firstError ? `\n      first failure: ${result.firstError.slice(0, 400)}` : ''}`;

/** One scaling run with `count` instances of each service. */
async function runOnce(
  setup: ScalingSetup,
  dataDir: string,
  count: number,
  world: { cards: IssuedCard[]; apiKeys: string[] },
): Promise<ScalingRun> {
  console.log(`\n  ${count} issuer + ${count} verifier instance(s): starting`);
  const { issuers, verifiers } = await startCluster(setup, dataDir, count);
  try {
    const issuerUrls = issuers.map((instance) => instance.url);
    const verifierUrls = verifiers.map((instance) => instance.url);
    if (!world.cards.length)
      for (const index of adultIndexes(setup.firstFreeIndex, CARDS))
        world.cards.push(await registerWithCard(issuerUrls[0]!, index));
    if (!world.apiKeys.length) world.apiKeys.push(...(await registerRelyingParties(verifierUrls[0]!, RELYING_PARTIES)));
    const loadAverage = loadavg()[0]!;
    const ocsp = await withServiceCpu(issuers, async (meter) => ({
      result: await loadOcsp(issuerUrls, ocspRequests(world.cards), setup.seconds, meter),
    }));
    console.log(`    OCSP            ${describe(ocsp.measured)}`);
    const provisioned = await withServiceCpu(issuers, (meter) =>
      loadProvisioning(issuerUrls, world.cards, COMPLETIONS_PER_CARD, meter),
    );
    console.log(`    provisioning    ${describe(provisioned.measured)}`);
    const logins = await withServiceCpu(verifiers, async (meter) => ({
      result: await loadLogins(
        verifierUrls,
        world.apiKeys,
        provisioned.phones,
        LOGIN_WORKERS,
        LOGINS_PER_WORKER,
        meter,
      ),
    }));
    console.log(`    JPKI logins     ${describe(logins.measured)}`);
    const readerCa = derFromPemOrDer(readFileSync(join(dataDir, 'pki', 'mdoc', 'reader-ca.pem')), 'CERTIFICATE');
    const presentations = await withServiceCpu(verifiers, async (meter) => ({
      result: await loadPresentations(
        verifierUrls,
        world.apiKeys,
        provisioned.phones,
        readerCa,
        PRESENTATION_WORKERS,
        PRESENTATIONS_PER_WORKER,
        meter,
      ),
    }));
    console.log(`    presentations   ${describe(presentations.measured)}`);
    return {
      instances: count,
      loadAverage,
      ocsp: ocsp.measured,
      provisioning: provisioned.measured,
      logins: logins.measured,
      presentations: presentations.measured,
    };
  } finally {
    await stopInstances([...issuers, ...verifiers]);
  }
}

/** The runs for each instance count, in order, over one data directory and the same two databases. */
export async function runScaling(setup: ScalingSetup, counts: readonly number[]): Promise<ScalingRun[]> {
  console.log('  preparing the data directory (openmyna sandbox up)');
  const dataDir = await prepareDataDir(ISSUER_PORT);
  try {
    const world = { cards: [] as IssuedCard[], apiKeys: [] as string[] };
    const runs: ScalingRun[] = [];
    for (const count of counts) runs.push(await runOnce(setup, dataDir, count, world));
    return runs;
  } finally {
    rmSync(dirname(dataDir), { recursive: true, force: true });
  }
}
