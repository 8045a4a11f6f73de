import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ActivityService } from '../instances/activity.service';
import { InstanceEntity, InstanceStatus } from '../instances-core/instance.entity';
import type { ConnectionState } from '../providers/provider-seams';
import { EventsService, RecordedEvent } from '../webhooks/events.service';

/**
 * Statuses that want a long-lived connection. The runtime runs only instances in one of them and
 * writes statuses only over one of them: `disconnected`, `needs_reauth` and `error` belong to the
 * user (logout, new credentials, POST …/reconnect), so a late report never undoes a logout.
 */
export const CONNECTION_STATUSES: readonly InstanceStatus[] = ['connecting', 'connected', 'waiting_for_qr'];

/** Reason stored while a WhatsApp Web login waits for its pairing code to be typed on the phone. */
export const PAIRING_CODE_REASON = 'waiting for the pairing code to be entered on the phone';

/** The instance status (and statusReason) a reported state stands for. */
export function statusOf(state: ConnectionState): { status: InstanceStatus; reason: string | null } {
  switch (state.state) {
    case 'connecting':
      return { status: 'connecting', reason: null };
    case 'waiting_for_qr':
      return { status: 'waiting_for_qr', reason: null };
    case 'waiting_for_pairing_code':
      return { status: 'connecting', reason: PAIRING_CODE_REASON };
    case 'connected':
      return { status: 'connected', reason: null };
    case 'disconnected':
      return { status: state.willReconnect ? 'connecting' : 'disconnected', reason: state.reason };
    case 'needs_reauth':
      return { status: 'needs_reauth', reason: state.reason };
    case 'error':
      return { status: 'error', reason: state.reason };
  }
}

/**
 * Turns what a connection reports into the instance's `status` / `statusReason`, its activity
 * log line and its events, in one transaction (the event outbox, as InstancesService.setStatus):
 *
 * - a status change to `connected` → activity `connected` and event `connected {instanceId, …account}`;
 * - a status change to `connecting` / `disconnected` / `needs_reauth` / `error` → activity `disconnected
 *   {status, reason, willReconnect}`; event `disconnected {instanceId, status, reason,
 *   willReconnect}` when the instance was `connected` or the new status needs the user
 *   (willReconnect: status is `connecting`);
 * - every `waiting_for_qr` → status `waiting_for_qr`, activity `qr_received {expiresInMs, attempt?}`
 *   (never the QR itself) and event `qr_received {instanceId, qr, qrCode, expiresInMs, attempt?}`
 *   (the QR refreshes; `qrCode` is the seeds' name of `qr`);
 * - a changed reason with the same status is stored without an event (repeated failures).
 * Nothing is written when the instance is gone or its status is not one of CONNECTION_STATUSES.
 */
@Injectable()
export class ConnectionStatusService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly activity: ActivityService,
  ) {}

  async apply(instanceId: string, state: ConnectionState): Promise<void> {
    const recorded = await this.db.transaction((tx) => this.write(tx, instanceId, state));
    await this.events.enqueue(recorded.map((r) => r.delivery));
  }

  private async write(
    tx: EntityManager,
    instanceId: string,
    state: ConnectionState,
  ): Promise<RecordedEvent[]> {
    const instance = await tx.findOne(InstanceEntity, {
      where: { id: instanceId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!instance || !CONNECTION_STATUSES.includes(instance.status)) return [];
    const { status, reason } = statusOf(state);
    const previous = instance.status;
    if (previous !== status || instance.statusReason !== reason) {
      await tx.update(InstanceEntity, { id: instanceId }, { status, statusReason: reason });
      instance.status = status;
      instance.statusReason = reason;
    }
    const recorded: RecordedEvent[] = [];
    if (state.state === 'waiting_for_qr') {
      const expiresInMs = state.expiresInMs ?? null;
      const attempt = state.attempt !== undefined ? { attempt: state.attempt } : {};
      await this.activity.log(instanceId, 'qr_received', { status, expiresInMs, ...attempt }, tx);
      recorded.push(
        // `qrCode`: the seeds' name of the same payload (multi-instance-api.md)
        await this.events.record(tx, instance, 'qr_received', {
          instanceId,
          qr: state.qr,
          qrCode: state.qr,
          expiresInMs,
          ...attempt,
        }),
      );
      return recorded;
    }
    // a pairing code on the way is no disconnect (the provider logs its own `pairing_code` line)
    if (previous === status || state.state === 'waiting_for_pairing_code') return recorded;
    if (state.state === 'connected') {
      const account = state.account ?? {};
      await this.activity.log(instanceId, 'connected', { status, ...account }, tx);
      recorded.push(await this.events.record(tx, instance, 'connected', { instanceId, ...account }));
      return recorded;
    }
    const willReconnect = status === 'connecting';
    await this.activity.log(instanceId, 'disconnected', { status, reason, willReconnect }, tx);
    if (previous === 'connected' || !willReconnect) {
      recorded.push(
        await this.events.record(tx, instance, 'disconnected', { instanceId, status, reason, willReconnect }),
      );
    }
    return recorded;
  }
}
