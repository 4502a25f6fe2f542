/**
 * The console's devices and agent authorisations (issue 24) on the licence page: listed for every
 * role; removing a device and revoking an authorisation are CSRF-checked forms for supervisors only (a
 * clerk gets 403 and nothing changes), going through the same services as the APIs: the bound copy's
 * and the authorisation's own bits are set, the licence stays valid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceKey, isRevoked } from '../helpers/derived.js';
import { freshCreditCode } from '../shared/subjects.js';
import { businessFields, type ConsoleWorld, consoleWorld, issueThroughConsole } from './harness.js';

let world: ConsoleWorld;
beforeAll(async () => {
  world = await consoleWorld();
});
afterAll(() => world.t.close());

interface OwnStatus {
  statusListCredential: string;
  statusListIndex: number;
}

describe('console: devices and agents of a licence', () => {
  it('lists them; a clerk cannot remove or revoke (403); a supervisor can, with CSRF, and the own bits are set', async () => {
    const { t } = world;
    const clerk = await world.signedIn('clerk');
    const supervisor = await world.signedIn('supervisor');
    const creditCode = freshCreditCode();
    const id = await issueThroughConsole(clerk, businessFields(creditCode));
    const device = await t.call('POST', `/v1/holders/${creditCode}/devices`, { body: { jwk: (await deviceKey()).publicJwk } });
    expect(device.status).toBe(201);
    const registered = (await device.json()) as { device: { id: string }; boundCopies: { ownStatus: OwnStatus }[] };
    const until = new Date(t.clock.now() + 100 * 86_400_000).toISOString().slice(0, 10);
    const auth = await t.call('POST', `/v1/licences/${id}/agent-authorisations`, {
      body: { agent: { name: '赵代办', idNumberMasked: '3301**********1234' }, matters: ['tax-filing'], validUntil: until, agentJwk: (await deviceKey()).publicJwk },
    });
    expect(auth.status, await auth.clone().text()).toBe(201);
    const authorisation = (await auth.json()) as { id: string; ownStatus: OwnStatus };

    const clerkPage = await clerk.page(`/console/licences/${id}`);
    expect(clerkPage.html).toContain(`data-device="${registered.device.id}"`);
    expect(clerkPage.html).toContain('赵代办');
    expect(clerkPage.html).not.toContain('/remove"');
    const removeUrl = `/console/licences/${id}/devices/${encodeURIComponent(registered.device.id)}/remove`;
    const revokeUrl = `/console/licences/${id}/agents/${authorisation.id}/revoke`;
    expect((await clerk.post(removeUrl, {})).status).toBe(403);
    expect((await clerk.post(revokeUrl, {})).status).toBe(403);

    const page = await supervisor.page(`/console/licences/${id}`);
    expect(page.html).toContain(`action="${removeUrl}"`);
    expect(page.html).toContain(`action="${revokeUrl}"`);
    // Without the CSRF token: refused, nothing changes.
    expect((await supervisor.post(removeUrl, {}, { csrf: null })).status).toBe(403);
    expect(await isRevoked(t, registered.boundCopies[0]!.ownStatus)).toBe(false);

    await supervisor.page(`/console/licences/${id}`);
    const removed = await supervisor.submit(removeUrl, {});
    expect(removed.status).toBe(200);
    expect(removed.html).toContain('设备已移除');
    expect(await isRevoked(t, registered.boundCopies[0]!.ownStatus)).toBe(true);
    const revoked = await supervisor.submit(revokeUrl, {});
    expect(revoked.status).toBe(200);
    expect(revoked.html).toContain('代办人授权已撤销');
    expect(await isRevoked(t, authorisation.ownStatus)).toBe(true);
    const licence = (await (await t.call('GET', `/v1/licences/${id}`)).json()) as { status: string };
    expect(licence.status).toBe('active');
  });
});
