import { formatAge, formatExpiry, formatTime } from '../time';

/**
 * A moment shown in the operator's locale, with the exact ISO value for machines and tooltips.
 *
 * @example
 * <Timestamp iso={event.at} />
 */
export function Timestamp({ iso }: { iso: string | null }) {
  if (iso === null) return <span className="muted">never</span>;
  return (
    <time dateTime={iso} title={iso}>
      {formatTime(iso)}
    </time>
  );
}

/**
 * How long ago a moment was ("3m 5s ago"), with the exact time as a tooltip.
 *
 * @example
 * <Age iso={approval.requested_at} now={now} />
 */
export function Age({ iso, now }: { iso: string | null; now: number }) {
  if (iso === null) return <span className="muted">never</span>;
  return (
    <time dateTime={iso} title={formatTime(iso)}>
      {formatAge(iso, now)}
    </time>
  );
}

/**
 * A countdown to a deadline ("expires in 4m 12s", "expired"), loud when under a minute.
 *
 * @example
 * <Expiry iso={approval.expires_at} now={now} />
 */
export function Expiry({ iso, now }: { iso: string | null; now: number }) {
  const text = formatExpiry(iso, now);
  if (iso === null) return <span className="muted">{text}</span>;
  const urgent = Date.parse(iso) - now < 60_000;
  return (
    <time dateTime={iso} title={formatTime(iso)} className={urgent ? 'urgent' : undefined}>
      {text}
    </time>
  );
}
