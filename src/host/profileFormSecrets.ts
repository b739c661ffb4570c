/**
 * The host's side of the profile form, without VS Code so that it is testable in plain Node:
 * what the page may see of a profile (no secret values), and how a posted profile plus typed
 * secrets becomes the profile to save (secret references by name) and the secrets to store.
 */
import { authSecretName } from '../core/profiles';
import { secretRefsIn, type Profile } from '../shared/profile';
import type { FormSecretKey } from '../shared/profileFormProtocol';

/** A secret the form typed, to be stored under `name` in SecretStorage. */
export interface SecretToStore {
  key: FormSecretKey;
  name: string;
  value: string;
}

export interface FormSaveResult {
  profile: Profile;
  secrets: SecretToStore[];
  /** Top-level fields the original had and the saved profile does not (removed from the file). */
  removeKeys: string[];
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** A file-safe stem of the profile name for derived secret names. */
function stem(profile: Profile): string {
  return profile.name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'profile';
}

/** The secret name inside a `${secret:NAME}` value that is exactly one reference. */
function soleRef(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const refs = secretRefsIn(v);
  return refs.length === 1 && v === `\${secret:${refs[0]}}` ? refs[0] : undefined;
}

/**
 * The profile as the form may show it: the MQTT password and the HMAC secret are removed, whether
 * they are references or (discouraged) literal values, so nothing secret reaches the page.
 */
export function profileForForm(profile: Profile): Profile {
  const p = clone(profile);
  if (p.mqtt) delete p.mqtt.password;
  if (p.webhook?.hmac) (p.webhook.hmac as { secret?: string }).secret = '';
  return p;
}

/**
 * The SecretStorage name each form secret of a profile uses: an existing reference when there is
 * one, otherwise a name derived from the profile's name.
 */
export function formSecretNames(given: Profile): Record<FormSecretKey, string> {
  // A hand-written profile may have a broken name; the form still opens so that it can be fixed.
  const profile = typeof given.name === 'string' ? given : { ...given, name: String(given.name ?? '') };
  const base = stem(profile);
  return {
    auth: authSecretName(profile),
    mqttPassword: soleRef(profile.mqtt?.password) ?? `${base}.mqtt-password`,
    hmacSecret: soleRef(profile.webhook?.hmac?.secret) ?? `${base}.webhook-hmac`,
    tlsPassphrase: profile.tls?.passphraseSecret ?? `${base}.tls-passphrase`,
  };
}

/** Which form secrets a profile has something for (a stored value is checked by the caller). */
export function formSecretsInUse(profile: Profile): Partial<Record<FormSecretKey, boolean>> {
  return {
    auth: !!profile.auth && profile.auth.type !== 'none',
    mqttPassword: !!profile.mqtt?.password,
    hmacSecret: !!profile.webhook?.hmac?.secret,
    tlsPassphrase: !!profile.tls?.passphraseSecret,
  };
}

/**
 * Turn what the form posted into the profile to save. Typed secrets become references by name (and
 * are returned for storage); secrets the user did not retype keep the original's reference.
 */
export function applyFormSave(original: Profile | undefined, posted: Profile, typed: Partial<Record<FormSecretKey, string>>): FormSaveResult {
  const profile = clone(posted);
  const secrets: SecretToStore[] = [];
  // Names come from the original profile, so that a rename keeps using the secrets stored under it.
  const names = formSecretNames(original ? { ...original, auth: original.auth ?? profile.auth } : profile);

  if (profile.auth && profile.auth.type === 'none') delete profile.auth;
  if (profile.auth) {
    if (!profile.auth.secret) profile.auth.secret = original?.auth?.secret ?? names.auth;
    if (typed.auth) secrets.push({ key: 'auth', name: profile.auth.secret, value: typed.auth });
  }

  if (profile.pattern === 'mqtt') {
    if (typed.mqttPassword) {
      profile.mqtt = { ...(profile.mqtt ?? {}), password: `\${secret:${names.mqttPassword}}` };
      secrets.push({ key: 'mqttPassword', name: names.mqttPassword, value: typed.mqttPassword });
    } else if (original?.mqtt?.password) {
      profile.mqtt = { ...(profile.mqtt ?? {}), password: original.mqtt.password };
    }
  }

  if (profile.pattern === 'webhook' && profile.webhook?.hmac) {
    const hmac = profile.webhook.hmac;
    if (typed.hmacSecret) {
      hmac.secret = `\${secret:${names.hmacSecret}}`;
      secrets.push({ key: 'hmacSecret', name: names.hmacSecret, value: typed.hmacSecret });
    } else if (original?.webhook?.hmac?.secret) {
      hmac.secret = original.webhook.hmac.secret;
    } else {
      hmac.secret = `\${secret:${names.hmacSecret}}`;
    }
  }

  if (typed.tlsPassphrase) {
    profile.tls = { ...(profile.tls ?? {}), passphraseSecret: names.tlsPassphrase };
    secrets.push({ key: 'tlsPassphrase', name: names.tlsPassphrase, value: typed.tlsPassphrase });
  } else if (original?.tls?.passphraseSecret && profile.tls && !profile.tls.passphraseSecret) {
    profile.tls.passphraseSecret = original.tls.passphraseSecret;
  }

  const removeKeys = original ? Object.keys(original).filter((k) => !(k in profile)) : [];
  return { profile, secrets, removeKeys };
}
