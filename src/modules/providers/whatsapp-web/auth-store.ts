import type { DataSource } from 'typeorm';
import type { SecretBox } from '../../../common/crypto/secret-box';

/** One key row to write; `value` null deletes it (Baileys' `keys.set` contract). */
export interface AuthKeyWrite {
  type: string;
  id: string;
  /** Serialized value (the engine's codec, Baileys' BufferJSON), or null to delete. */
  value: string | null;
}

/**
 * The WhatsApp Web auth state of one instance in PostgreSQL (providers/whatsapp-web.md §3.3),
 * never on disk: `whatsapp_web_auth_creds` (one row) and `whatsapp_web_auth_keys`
 * (PK instance, type, id). Every value is sealed with the secret box (AES-256-GCM). The store is
 * engine-agnostic: it keeps serialized strings; the engine owns the codec (BufferJSON) and types,
 * so a future auth-state format (Baileys v8) needs no schema change.
 * Errors are thrown, never swallowed: a lost `keys.set` means undecryptable messages ("Bad MAC").
 */
export class WhatsAppWebAuthStore {
  constructor(
    private readonly db: DataSource,
    private readonly secrets: SecretBox,
    readonly instanceId: string,
  ) {}

  /** The serialized creds, or null before the first `creds.update`. */
  async readCreds(): Promise<string | null> {
    const [row] = await this.db.query(`SELECT creds FROM whatsapp_web_auth_creds WHERE instance_id = $1`, [
      this.instanceId,
    ]);
    return row ? this.secrets.decrypt(row.creds) : null;
  }

  /** Upserts the creds (every `creds.update`); `registered`/`meJid`/`meLid` are kept in clear for status. */
  async writeCreds(
    json: string,
    meta: { registered: boolean; meJid?: string; meLid?: string },
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO whatsapp_web_auth_creds (instance_id, creds, registered, me_jid, me_lid, updated_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (instance_id) DO UPDATE SET creds = EXCLUDED.creds, registered = EXCLUDED.registered,
         me_jid = EXCLUDED.me_jid, me_lid = EXCLUDED.me_lid, updated_at = now()`,
      [this.instanceId, this.secrets.encrypt(json), meta.registered, meta.meJid ?? null, meta.meLid ?? null],
    );
  }

  /** Serialized values by id, one round trip; missing ids are absent. */
  async getKeys(type: string, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows: { id: string; value: string }[] = await this.db.query(
      `SELECT id, value FROM whatsapp_web_auth_keys WHERE instance_id = $1 AND type = $2 AND id = ANY($3)`,
      [this.instanceId, type, ids],
    );
    return new Map(rows.map((r) => [r.id, this.secrets.decrypt(r.value)]));
  }

  /** One `keys.set` batch in ONE transaction: upserts and deletes commit together or not at all. */
  async setKeys(writes: AuthKeyWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.db.transaction(async (tx) => {
      const upserts = writes.filter((w) => w.value !== null);
      const deletes = writes.filter((w) => w.value === null);
      if (upserts.length) {
        await tx.query(
          `INSERT INTO whatsapp_web_auth_keys (instance_id, type, id, value, updated_at)
           SELECT $1, t, i, v, now() FROM unnest($2::text[], $3::text[], $4::text[]) AS u(t, i, v)
           ON CONFLICT (instance_id, type, id) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
          [
            this.instanceId,
            upserts.map((w) => w.type),
            upserts.map((w) => w.id),
            upserts.map((w) => this.secrets.encrypt(w.value!)),
          ],
        );
      }
      if (deletes.length) {
        await tx.query(
          `DELETE FROM whatsapp_web_auth_keys k USING unnest($2::text[], $3::text[]) AS u(t, i)
            WHERE k.instance_id = $1 AND k.type = u.t AND k.id = u.i`,
          [this.instanceId, deletes.map((w) => w.type), deletes.map((w) => w.id)],
        );
      }
    });
  }

  /** Wipes creds and keys (logout, 401) in one transaction. */
  async clear(): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM whatsapp_web_auth_keys WHERE instance_id = $1`, [this.instanceId]);
      await tx.query(`DELETE FROM whatsapp_web_auth_creds WHERE instance_id = $1`, [this.instanceId]);
    });
  }

  /** Whether this instance has paired credentials (linked: reconnects at boot without a QR). */
  async registered(): Promise<boolean> {
    const [row] = await this.db.query(
      `SELECT registered FROM whatsapp_web_auth_creds WHERE instance_id = $1`,
      [this.instanceId],
    );
    return !!row?.registered;
  }

  /** PN user for a LID user from Baileys' own `lid-mapping` keys (`<lidUser>_reverse` → pnUser). */
  async pnForLid(lidUser: string): Promise<string | undefined> {
    const found = await this.getKeys('lid-mapping', [`${lidUser}_reverse`]);
    const v = found.get(`${lidUser}_reverse`);
    if (!v) return undefined;
    try {
      const parsed = JSON.parse(v) as unknown;
      return typeof parsed === 'string' ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
}
