/**
 * The pattern registry: every pattern is one descriptor in one folder, listed here once. The engine's
 * transport loader, the CLI, profile validation, the JSON Schema file, the profile form, the trees and
 * the docs iterate this list. Webview-safe: descriptors import no Node or engine code.
 */
import type { Static, TObject } from '@sinclair/typebox';
import { amqpPattern } from './amqp/descriptor';
import { asyncPattern } from './async/descriptor';
import type { PatternCapabilities } from './descriptor';
import { graphqlPattern } from './graphql/descriptor';
import { grpcPattern } from './grpc/descriptor';
import { httpPattern } from './http/descriptor';
import { longPollPattern } from './long-poll/descriptor';
import { mqttPattern } from './mqtt/descriptor';
import { natsPattern } from './nats/descriptor';
import { pollPattern } from './poll/descriptor';
import { proxyPattern } from './proxy/descriptor';
import { imapPattern } from './imap/descriptor';
import { kafkaPattern } from './kafka/descriptor';
import { smtpPattern } from './smtp/descriptor';
import { socketioPattern } from './socketio/descriptor';
import { redisPattern } from './redis/descriptor';
import { ssePattern } from './sse/descriptor';
import { streamPattern } from './stream/descriptor';
import { tcpPattern } from './tcp/descriptor';
import { udpPattern } from './udp/descriptor';
import { webhookPattern } from './webhook/descriptor';
import { wsPattern } from './ws/descriptor';

export const PATTERN_DESCRIPTORS = [
  httpPattern,
  wsPattern,
  ssePattern,
  pollPattern,
  longPollPattern,
  streamPattern,
  mqttPattern,
  webhookPattern,
  asyncPattern,
  tcpPattern,
  udpPattern,
  socketioPattern,
  redisPattern,
  smtpPattern,
  natsPattern,
  imapPattern,
  grpcPattern,
  graphqlPattern,
  kafkaPattern,
  amqpPattern,
] as const;

/**
 * Every descriptor, the non-profile ones (`profile: false`: the capture proxy) included. PATTERN_DESCRIPTORS
 * above are the profile patterns only: the ones a profile, the profile form, the JSON Schema and
 * `wirescope connect` can name.
 */
export const ALL_PATTERN_DESCRIPTORS = [...PATTERN_DESCRIPTORS, proxyPattern] as const;

export type AnyPatternDescriptor = (typeof ALL_PATTERN_DESCRIPTORS)[number];
/** Every pattern a session can have, the capture proxy included. */
export type PatternId = AnyPatternDescriptor['id'];
/** The patterns a profile (and the profile form) can name: the descriptors without `profile: false`. */
export type ProfilePatternId = Exclude<AnyPatternDescriptor, { profile: false }>['id'];

/** Profile pattern ids in registry order (the capture proxy is not one). */
export const PATTERNS: readonly ProfilePatternId[] = ALL_PATTERN_DESCRIPTORS.filter((d): d is Exclude<AnyPatternDescriptor, { profile: false }> => (d as { profile?: false }).profile !== false).map((d) => d.id);

type WithOptions = Extract<(typeof PATTERN_DESCRIPTORS)[number], { optionsKey: string; options: TObject }>;

/** The pattern-specific option fields of a profile / ConnectOptions (`ws`, `longPoll`, `mqtt`, `tcp`...), typed from the schemas. */
export type PatternOptionFields = { [D in WithOptions as D['optionsKey']]?: Static<D['options']> };

/** The option key of each pattern that has options. */
export type PatternOptionKey = keyof PatternOptionFields;

const byId = new Map<string, AnyPatternDescriptor>(ALL_PATTERN_DESCRIPTORS.map((d) => [d.id, d]));

/** The descriptor of a pattern id (undefined for an unknown id). */
export function descriptorOf(id: string): AnyPatternDescriptor | undefined {
  return byId.get(id);
}

/** The capabilities of a pattern; an unknown id can do nothing. */
export function capabilitiesOf(id: string): PatternCapabilities {
  return byId.get(id)?.capabilities ?? { send: false, ping: false, halfClose: false, channel: 'none', requestReply: false };
}

/** The pattern a URL's scheme selects when none is given (`ws:` -> ws, `tcp:` -> tcp), or undefined. */
export function patternForUrl(url: string): PatternId | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1]?.toLowerCase();
  if (!scheme) return undefined;
  return PATTERN_DESCRIPTORS.find((d) => ((d as { infers?: readonly string[] }).infers ?? []).includes(scheme))?.id;
}

/** Every scheme some pattern infers from a URL. */
export const INFERRED_SCHEMES: readonly string[] = PATTERN_DESCRIPTORS.flatMap((d) => (d as { infers?: readonly string[] }).infers ?? []);
