/**
 * What looks like a credential: names of settings that hold one, and values shaped like well-known keys. Used by the
 * rules on container environments, parameters and stack outputs; components may call it on the environments they
 * build. Pure module.
 */

const SECRET_WORDS = new Set(["password", "passwd", "pswd", "pwd", "secret", "secrets", "token", "credential", "credentials", "passphrase"]);
const KEY_QUALIFIERS = new Set(["api", "auth", "access", "private", "secret", "signing", "encryption"]);
/** Last words that make a name a pointer to a secret (ARN, name, id, path) or a setting of one (type, region), not the secret itself. */
const REFERENCE_WORDS = new Set(["arn", "name", "id", "path", "file", "url", "uri", "ref", "header", "length", "ttl", "expiry", "type", "region"]);

/** `MF_METADATA_DB_PSWD` -> [mf, metadata, db, pswd]; `serviceAuthKey` -> [service, auth, key]. */
export function wordsOf(name: string): string[] {
    return name
        .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map((w) => w.toLowerCase());
}

/** Names that carry credentials, such as MF_METADATA_DB_PSWD or DB_PASSWORD or METAFLOW_SERVICE_AUTH_KEY or apiKey. */
export function looksLikeSecretName(name: string): boolean {
    const words = wordsOf(name);
    if (!words.length || REFERENCE_WORDS.has(words[words.length - 1])) return false;
    return words.some((w, i) => SECRET_WORDS.has(w) || (w === "key" && i > 0 && KEY_QUALIFIERS.has(words[i - 1])) || w === "apikey");
}

/** Values that are credentials whatever their name: AWS access key ids, private keys. */
export function looksLikeSecretValue(value: unknown): boolean {
    if (typeof value !== "string") return false;
    return /\b(AKIA|ASIA)[A-Z0-9]{16}\b/.test(value) || /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value);
}
