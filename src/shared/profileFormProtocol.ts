/**
 * Messages between the extension host and the profile form webview. Small and flat on purpose:
 * the form loads one profile, edits it locally and posts it back once. Secret VALUES travel only
 * page -> host (inside `save`); the host answers with booleans ("a value is stored"), never values.
 */
import type { Profile, ProfileProblem } from './profile';

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
export type FormToHost = FormReady | FormSave | FormCancel;

/** Upper bound on a secret typed into the form (a PEM passphrase or token is far smaller). */
export const MAX_FORM_SECRET = 64 * 1024;
/** Upper bound on the serialized profile a page may post. */
export const MAX_FORM_PROFILE_CHARS = 1024 * 1024;

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Check a message from the page. Returns the typed message, or a one-line reason it was refused.
 * The profile inside `save` is only shape-checked here; the host runs the full profile validation.
 */
export function parseFormMessage(raw: unknown): FormToHost | string {
  if (!isObj(raw) || typeof raw.type !== 'string') return 'not a form message';
  switch (raw.type) {
    case 'ready':
    case 'cancel':
      return { type: raw.type };
    case 'save': {
      if (!isObj(raw.profile)) return 'save: "profile" must be an object';
      let size: number;
      try {
        size = JSON.stringify(raw.profile).length;
      } catch {
        return 'save: "profile" is not plain data';
      }
      if (size > MAX_FORM_PROFILE_CHARS) return 'save: the profile is too large';
      if (raw.scope !== 'workspace' && raw.scope !== 'user') return 'save: "scope" must be workspace or user';
      const secrets: Partial<Record<FormSecretKey, string>> = {};
      if (raw.secrets !== undefined) {
        if (!isObj(raw.secrets)) return 'save: "secrets" must be an object';
        for (const [k, v] of Object.entries(raw.secrets)) {
          if (!(FORM_SECRET_KEYS as readonly string[]).includes(k)) return `save: unknown secret "${k}"`;
          if (typeof v !== 'string' || v.length > MAX_FORM_SECRET) return `save: secret "${k}" must be a string of at most ${MAX_FORM_SECRET} characters`;
          if (v) secrets[k as FormSecretKey] = v;
        }
      }
      return { type: 'save', profile: raw.profile as unknown as Profile, scope: raw.scope, secrets };
    }
    default:
      return `unknown form message "${raw.type.slice(0, 40)}"`;
  }
}
