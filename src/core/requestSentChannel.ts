/**
 * The diagnostics channel on which Wirescope's own HTTP clients say that a request went out (`{ method, url }`),
 * in the async context of the caller: the stream client (src/core/streamClient.ts) does not go through node:http,
 * and node:http2 publishes nothing on Node 20, so the `http.client.request.*` channels never see their requests.
 * The race engine's wire meter (src/core/compare/wireMeter.ts) counts requests from all of them.
 */
import dc from 'node:diagnostics_channel';

export const REQUEST_SENT_CHANNEL = 'wirescope.stream.request.sent';
export const requestSent = dc.channel(REQUEST_SENT_CHANNEL);
