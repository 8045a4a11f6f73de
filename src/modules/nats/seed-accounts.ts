/**
 * The WhatsApp Cloud ↔ NATS connector's `.env` (seeds/whatsapp-cloud-connector.md): any number of
 * `WA_<NAME>=<phone_number_id>:<access_token>`, plus `WEBHOOK_VERIFY_TOKEN`, `APP_SECRET` and
 * `API_VERSION` shared by all of them. Each account becomes one `whatsapp-official` instance with
 * slug `<name>` lower-cased (SeedAccountsService).
 */
export interface SeedWhatsappAccount {
  /** `<NAME>` lower-cased: the instance's name and slug, e.g. `my_account` from `WA_MY_ACCOUNT`. */
  slug: string;
  /** The env variable it came from, for error messages (never its value). */
  variable: string;
  phoneNumberId: string;
  accessToken: string;
}

const VARIABLE = /^WA_([A-Za-z0-9_-]+)$/;
const VALUE = /^(\d{5,30}):(\S+)$/;

/**
 * Reads every `WA_<NAME>` of `env` (sorted by name). Problems are returned as lines naming the
 * variable and what is wrong, never its value (it holds a token).
 */
export function parseSeedAccounts(env: Record<string, unknown>): {
  accounts: SeedWhatsappAccount[];
  problems: string[];
} {
  const accounts: SeedWhatsappAccount[] = [];
  const problems: string[] = [];
  for (const variable of Object.keys(env).sort()) {
    const name = VARIABLE.exec(variable)?.[1];
    const raw = env[variable];
    if (!name || typeof raw !== 'string') continue;
    const value = VALUE.exec(raw.trim());
    const slug = name.toLowerCase();
    if (!value) {
      problems.push(`${variable}: must be <phone_number_id>:<access_token> (a numeric phone number id)`);
    } else if (slug.length > 64) {
      problems.push(`${variable}: <NAME> must be at most 64 characters (it becomes the NATS subject token)`);
    } else {
      accounts.push({ slug, variable, phoneNumberId: value[1], accessToken: value[2] });
    }
  }
  return { accounts, problems };
}
