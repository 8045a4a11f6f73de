/** The webhook settings an instance form edits (create and edit share them). */
export interface WebhookValues {
  webhookUrl: string;
  webhookEnabled: boolean;
  notifyReceived: boolean;
  notifySent: boolean;
  notifyDelivery: boolean;
  notifyRead: boolean;
  maxRetries: number;
  /** ms */
  retryInterval: number;
}

export const DEFAULT_WEBHOOK: WebhookValues = {
  webhookUrl: '',
  webhookEnabled: true,
  notifyReceived: true,
  notifySent: true,
  notifyDelivery: false,
  notifyRead: false,
  maxRetries: 3,
  retryInterval: 60_000,
};

const FLAGS = [
  ['notifyReceived', 'Messages received'],
  ['notifySent', 'Messages sent and failed'],
  ['notifyDelivery', 'Delivery receipts'],
  ['notifyRead', 'Read receipts'],
] as const;

export function WebhookFields({
  values,
  onChange,
  idPrefix,
}: {
  values: WebhookValues;
  onChange: (v: WebhookValues) => void;
  idPrefix: string;
}) {
  const set = <K extends keyof WebhookValues>(k: K, v: WebhookValues[K]) => onChange({ ...values, [k]: v });
  return (
    <fieldset>
      <legend>Webhook</legend>
      <div className="field">
        <label htmlFor={`${idPrefix}-url`}>URL (optional)</label>
        <input
          id={`${idPrefix}-url`}
          type="url"
          placeholder="https://crm.example.com/hooks/switchboard"
          value={values.webhookUrl}
          onChange={(e) => set('webhookUrl', e.target.value)}
        />
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={values.webhookEnabled}
          onChange={(e) => set('webhookEnabled', e.target.checked)}
        />
        Deliver events to this URL
      </label>
      <fieldset className="inline">
        <legend>Message events</legend>
        {FLAGS.map(([k, label]) => (
          <label className="check" key={k}>
            <input type="checkbox" checked={values[k]} onChange={(e) => set(k, e.target.checked)} />
            {label}
          </label>
        ))}
      </fieldset>
      <div className="row">
        <div className="field">
          <label htmlFor={`${idPrefix}-retries`}>Retries after the first attempt</label>
          <input
            id={`${idPrefix}-retries`}
            type="number"
            min={0}
            max={20}
            value={values.maxRetries}
            onChange={(e) => set('maxRetries', Number(e.target.value))}
          />
        </div>
        <div className="field">
          <label htmlFor={`${idPrefix}-interval`}>First retry after (seconds)</label>
          <input
            id={`${idPrefix}-interval`}
            type="number"
            min={0.1}
            step={0.1}
            value={values.retryInterval / 1000}
            onChange={(e) => set('retryInterval', Math.round(Number(e.target.value) * 1000))}
          />
        </div>
      </div>
    </fieldset>
  );
}
