/**
 * Messages between the extension host and the profile form webview. Small and flat on purpose:
 * the form loads one profile, edits it locally and posts it back once. Secret VALUES travel only
 * page -> host (inside `save`); the host answers with booleans ("a value is stored"), never values.
 */
import type { GraphqlCompletion } from './graphqlCompletion';
import type { Profile, ProfileProblem } from './profile';
import { byMethod, clip, cmd, note, objectOf, oneOf, opt, parseFlatMessage, type ParamsOf } from './typedProtocol';

/** The secrets the form can take: each goes straight to SecretStorage and is referenced by name. */
export const FORM_SECRET_KEYS = ['auth', 'mqttPassword', 'hmacSecret', 'tlsPassphrase'] as const;
export type FormSecretKey = (typeof FORM_SECRET_KEYS)[number];

export type FormScope = 'workspace' | 'user';

/** host -> page: the profile to edit (secrets stripped) and what the form may offer. */
export interface FormInit {
  type: 'init';
  /** Without secret values: `mqtt.password` and `webhook.hmac.secret` are removed. */
  profile: Profile;
  isNew: boolean;
  scope: FormScope;
  /** Scopes the user may pick (one when editing an existing profile). */
  scopes: FormScope[];
  /** Which secrets already have a stored value (or a reference the host keeps). */
  secretsStored: Partial<Record<FormSecretKey, boolean>>;
  /** Names already used in the chosen scope, other than this profile's own. */
  takenNames: string[];
}

/** host -> page: saved; the form stays open for more edits. */
export interface FormSaved {
  type: 'saved';
  name: string;
  scope: FormScope;
  secretsStored: Partial<Record<FormSecretKey, boolean>>;
}

/** host -> page: the host's validation refused the save; paths are relative to the profile. */
export interface FormProblems {
  type: 'problems';
  problems: ProfileProblem[];
}

/** host -> page: a one-line failure (file not writable, not valid JSON, …). */
export interface FormError {
  type: 'error';
  message: string;
}

export type HostToForm = FormInit | FormSaved | FormProblems | FormError;

/** page -> host */
export interface FormReady {
  type: 'ready';
}
export interface FormSave {
  type: 'save';
  profile: Profile;
  scope: FormScope;
  /** Only secrets the user typed; absent ones keep their stored value. */
  secrets: Partial<Record<FormSecretKey, string>>;
}
export interface FormCancel {
  type: 'cancel';
}
export interface FormListGrpcMethods {
  type: 'listGrpcMethods';
  profile: Profile;
}
export interface FormListGraphqlFields {
  type: 'listGraphqlFields';
  profile: Profile;
}
export type FormToHost = FormReady | FormSave | FormCancel | FormListGrpcMethods | FormListGraphqlFields;

/** Upper bound on a secret typed into the form (a PEM passphrase or token is far smaller). */
export const MAX_FORM_SECRET = 64 * 1024;
/** Upper bound on the serialized profile a page may post. */
export const MAX_FORM_PROFILE_CHARS = 1024 * 1024;

// ---------- descriptors (src/shared/typedProtocol.ts) ----------
// The form's messages are flat on the wire ({type: method, ...params}); their validators live in
// these descriptors, and the host answers them through a handler map typed by them.

type ParamsOfMessage<M> = Omit<M, 'type'>;

/** The profile is only shape-checked here (plain data, bounded); the host runs the full profile validation. */
const profileField = objectOf<Profile>((v) => {
  let size: number;
  try {
    size = JSON.stringify(v).length;
  } catch {
    return 'is not plain data';
  }
  return size > MAX_FORM_PROFILE_CHARS ? 'is too large' : undefined;
});
const secretsField = objectOf<Partial<Record<FormSecretKey, string>>>((v) => {
  for (const [k, value] of Object.entries(v)) {
    if (!(FORM_SECRET_KEYS as readonly string[]).includes(k)) return `has an unknown secret "${clip(k, 40)}"`;
    if (typeof value !== 'string' || value.length > MAX_FORM_SECRET) return `"${k}" must be a string of at most ${MAX_FORM_SECRET} characters`;
  }
  return undefined;
});

/** page -> host: the page loaded; the host answers with {@link InitForm}. */
export const PageReady = cmd<ParamsOfMessage<FormReady>>('ready', {});
/** page -> host: save the edited profile and the secrets the user typed (`secrets` may be left out). */
export const SaveProfile = cmd<Omit<FormSave, 'type' | 'secrets'> & { secrets?: FormSave['secrets'] }>('save', {
  profile: profileField,
  scope: oneOf(['workspace', 'user'] as const),
  secrets: opt(secretsField),
});
/** page -> host: close the form. */
export const CloseForm = cmd<ParamsOfMessage<FormCancel>>('cancel', {});
/** page -> host: list the gRPC methods of the profile as edited (server reflection, or its .proto files). */
export const ListGrpcMethods = cmd<{ profile: Profile }>('listGrpcMethods', { profile: profileField });
/** page -> host: the root fields of the GraphQL server of the profile as edited (an introspection). */
export const ListGraphqlFields = cmd<{ profile: Profile }>('listGraphqlFields', { profile: profileField });
/** Everything the page may send: the host's handler map must cover exactly this set. */
export const FormToHostMessages = { PageReady, SaveProfile, CloseForm, ListGrpcMethods, ListGraphqlFields } as const;

export const InitForm = note<ParamsOfMessage<FormInit>>('init');
export const FormWasSaved = note<ParamsOfMessage<FormSaved>>('saved');
export const ShowProblems = note<ParamsOfMessage<FormProblems>>('problems');
export const ShowError = note<ParamsOfMessage<FormError>>('error');
/** One gRPC method of a listing, as the form offers it. */
export interface FormGrpcMethod {
  method: string;
  kind: string;
  input: string;
  output: string;
  /** The input message's JSON template. */
  template: Record<string, unknown>;
}
/** host -> page: the methods listed (or the one-line reason there are none). */
export const GrpcMethodsListed = note<{ methods: FormGrpcMethod[]; source?: string; error?: string }>('grpcMethods');
/** host -> page: the GraphQL fields of the profile's server (or the one-line reason there are none). */
export const GraphqlFieldsListed = note<{ fields: GraphqlCompletion[]; error?: string }>('graphqlFields');
/** Everything the host sends the page: the page's handlers must cover exactly this set. */
export const HostToFormMessages = { InitForm, FormWasSaved, ShowProblems, ShowError, GrpcMethodsListed, GraphqlFieldsListed } as const;

const INCOMING = byMethod(FormToHostMessages);

/**
 * Check a message from the page against {@link FormToHostMessages}. Returns the typed message, or a
 * one-line reason it was refused. Secrets the user left empty are dropped.
 */
export function parseFormMessage(raw: unknown): FormToHost | string {
  const m = parseFlatMessage(INCOMING, raw, 'form');
  if (typeof m === 'string') return m;
  if (m.method === ListGrpcMethods.method) return { type: 'listGrpcMethods', profile: (m.params as ParamsOf<typeof ListGrpcMethods>).profile };
  if (m.method === ListGraphqlFields.method) return { type: 'listGraphqlFields', profile: (m.params as ParamsOf<typeof ListGraphqlFields>).profile };
  if (m.method !== SaveProfile.method) return { type: m.method } as FormToHost;
  const p = m.params as ParamsOf<typeof SaveProfile>;
  const secrets: Partial<Record<FormSecretKey, string>> = {};
  for (const [k, v] of Object.entries(p.secrets ?? {})) if (v) secrets[k as FormSecretKey] = v;
  return { type: 'save', profile: p.profile, scope: p.scope, secrets };
}
