import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

import { REPO_ROOT } from '../test-support/test-vectors.js';
import { Cluster, CLUSTER_REPAIR_GRACE_SECONDS } from './cluster-harness.js';
import { PhoneAndPc } from './story.js';

const SHOTS = join(REPO_ROOT, 'artifacts', 'screenshots', 'cluster');

/**
 * The sandbox story through HAProxy in front of two issuers and two verifiers on PostgreSQL and Redis
 * (round-robin: consecutive requests of one flow land on different instances), then again while one
 * instance of each is killed with SIGKILL in the middle of a flow: every flow completes or fails
 * cleanly (the user tries again), and nothing is lost or duplicated.
 */
describe('scaled out: two issuers and two verifiers behind a round-robin load balancer', () => {
  let cluster: Cluster;
  let story: PhoneAndPc;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    cluster = await Cluster.start();
    story = await PhoneAndPc.open({ ...cluster.urls }, cluster.dir, SHOTS);
  }, 300_000);
  afterAll(async () => {
    await story?.close();
    await cluster?.stop();
  }, 60_000);

  /** Runs `body`; if it fails: what each screen showed, and what the instances logged at warn level or worse. */
  async function explained(pages: PhoneAndPc, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      await pages.shot(pages.phone, 'FAILED-phone');
      await pages.shot(pages.pc, 'FAILED-pc');
      const warnings = [...cluster.issuers, ...cluster.verifiers].flatMap((instance) =>
        instance.output
          .split('\n')
          .filter((entry) => /"level":("warn"|"error"|"fatal"|[4-6]\d)/.test(entry))
          .map((line) => `${instance.name}: ${line}`),
      );
      throw new Error(`${(error as Error).message}\n${warnings.join('\n')}`, { cause: error });
    }
  }

  it(
    'runs the whole story: provisioning, account opening, login, the counter in person, the shop, revocation',
    () =>
      explained(story, async () => {
        await story.provision('P0000001', 'a01-phone-card');
        await story.openAccount('a');
        // The camera path with PINs: 「スマホで読み取る」, scan, the two fields, send.
        expect(story.lastActions.length, story.lastActions.join('; ')).toBeLessThanOrEqual(5);
        await story.logIn('a');
        await story.atTheCounter('a');
        await story.atTheShop('a');
        await story.reportedLost('P0000001', cluster.issuerAdminToken(), 'a');
        // Round-robin spread the story: every instance answered requests of it (beyond HAProxy's checks).
        for (const instance of [...cluster.issuers, ...cluster.verifiers]) {
          const served = instance.output
            .split('\n')
            .filter((line) => line.includes('"msg":"request"') && !line.includes('"route":"/healthz"'));
          expect(served.length, instance.name).toBeGreaterThan(0);
        }
      }),
    600_000,
  );

  it('completes or cleanly fails each flow while an issuer and a verifier are killed in the middle, losing and duplicating nothing', async () => {
    const second = await PhoneAndPc.open({ ...cluster.urls }, join(cluster.dir), SHOTS);
    onTestFinished(() => second.close());
    await explained(second, async () => {
      // Provisioning P0000002 while issuer-1 dies: it finishes on issuer-2, or the wallet says it failed
      // and the person tries again.
      const provisioned = second.provision('P0000002', 'b01-phone-card').then(
        () => true,
        () => false,
      );
      await new Promise((wait) => setTimeout(wait, 400));
      await cluster.kill(cluster.issuers[0]!);
      if (!(await provisioned)) await second.provision('P0000002', 'b01-phone-card-again');
      // Opening an account while verifier-1 dies once the PC shows the request's QR code.
      const opened = second.openAccount('b').then(
        () => true,
        () => false,
      );
      await second.pc.getByTestId('qr').waitFor({ timeout: 60_000 });
      await cluster.kill(cluster.verifiers[0]!);
      const firstOpened = await opened;
      // Whether or not the PC saw it finish, the person applies again, from the wallet's first screen: the
      // firm opens the account now, or says it has one — never a second one.
      await second.phoneHome();
      const again = await second.openAccount('b-again', true);
      if (firstOpened) expect(again).toBe('exists');
      await second.logIn('b');
    });
    // The killed instances come back; what they left half done is repaired once older than the grace
    // (CLUSTER_REPAIR_GRACE_SECONDS), by the instances' periodic repair.
    await cluster.restart(cluster.issuers[0]!);
    await cluster.restart(cluster.verifiers[0]!);
    const count = async (database: 'issuer' | 'verifier', sql: string) =>
      Number((await cluster.query<{ count: string }>(database, sql))[0]!.count);
    const repaired = { timeout: 4 * CLUSTER_REPAIR_GRACE_SECONDS * 1000, interval: 1000 };
    await expect
      .poll(() => count('issuer', "SELECT count(*) AS count FROM phones WHERE status = 'provisioning'"), repaired)
      .toBe(0);
    await expect
      .poll(() => count('issuer', "SELECT count(*) AS count FROM certificates WHERE status = 'prepared'"), repaired)
      .toBe(0);
    await expect
      .poll(() => count('issuer', "SELECT count(*) AS count FROM mdoc_batches WHERE status = 'issuing'"), repaired)
      .toBe(0);
    const phones = await cluster.query<{ status: string }>('issuer', 'SELECT status FROM phones WHERE person_id = $1', [
      'P0000002',
    ]);
    expect(phones.filter((phone) => phone.status === 'active')).toHaveLength(1);
    expect(await count('verifier', "SELECT count(*) AS count FROM presentations WHERE status = 'processing'")).toBe(0);
  }, 600_000);
});
