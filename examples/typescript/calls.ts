// Lists the account's campaigns and records a call, with a client made
// from Warden's OpenAPI document: `generated/schema.d.ts` is generated from
// the document the server serves (`npm run generate`), and `tsc` checks
// every request and answer below against it. If the document changes in a
// way this program did not expect, it no longer compiles.
//
//   WARDEN_URL=http://127.0.0.1:3000 WARDEN_TOKEN=wdn_… npm run generate
//   npm run build && WARDEN_URL=… WARDEN_TOKEN=… npm start
import createClient from 'openapi-fetch';
import type { paths } from './generated/schema.js';

const base = process.env.WARDEN_URL ?? 'http://127.0.0.1:3000';
const token = process.env.WARDEN_TOKEN;
if (!token) {
  console.error('Set WARDEN_TOKEN to a read-and-write API token (API Access Tokens page).');
  process.exit(2);
}

const api = createClient<paths>({ baseUrl: `${base}/api/v1`, headers: { Authorization: `Bearer ${token}` } });

/** Stops with the server's problem+json, as it said it. */
function fail(what: string, response: Response, problem: unknown): never {
  console.error(`${what}: ${response.status}`, JSON.stringify(problem));
  process.exit(1);
}

const listed = await api.GET('/campaigns');
if (!listed.data) fail('listing campaigns', listed.response, listed.error);
let campaign = listed.data.campaigns[0];
console.log(`${listed.data.campaigns.length} campaign(s)`);

if (!campaign) {
  // Retried safely: the same key and body answer the first answer again.
  const made = await api.POST('/campaigns', {
    params: { header: { 'Idempotency-Key': `example-campaign-${Date.now()}` } },
    body: { name: 'Example campaign', tracking_number: '+14155550100' },
  });
  if (!made.data) fail('creating a campaign', made.response, made.error);
  campaign = made.data;
  console.log(`created campaign ${campaign.id} "${campaign.name}"`);
}

const call = await api.POST('/calls', {
  body: {
    campaign_id: campaign.id,
    caller: '+4930901820',
    started_at: Math.floor(Date.now() / 1000) - 60,
    duration_secs: 42,
    outcome: 'answered',
  },
});
if (!call.data) fail('recording a call', call.response, call.error);
console.log(`recorded call ${call.data.id} in campaign ${call.data.campaign_id}: ${call.data.outcome}, ${call.data.duration_secs} s`);

const calls = await api.GET('/calls', { params: { query: { campaign: campaign.id, limit: 10 } } });
if (!calls.data) fail('listing calls', calls.response, calls.error);
console.log(`${calls.data.calls.length} call(s) in campaign ${campaign.id}`);
