import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import type { JsonBody } from '../../../shared/contract/events';
import { ErrorBox, Loading } from '../../components/States';
import { fmtBytes, fmtTime, pretty } from './format';

/** One event: facts, payload (pretty / raw; cut at 64 KiB with "load all"), metadata, links. */
export function EventDetailPanel({ connectionId, position, onOpen, onStream, onCorrelation, onClose }: {
  connectionId: string; position: string;
  onOpen: (position: string) => void; onStream: (streamId: string) => void; onCorrelation: (id: string) => void; onClose: () => void;
}) {
  const client = useClient();
  const [full, setFull] = useState(false);
  const [raw, setRaw] = useState(false);
  const q = useQuery({
    queryKey: ['events.event', connectionId, position, full],
    queryFn: ({ signal }) => client.invoke('events.event', { connectionId, position, full }, { signal }),
    staleTime: 60_000,
  });
  const e = q.data;
  return (
    <section className="ev-detail" aria-label="Event detail" data-testid="event-detail">
      <div className="ev-detail-head">
        <strong>Event #{position}</strong>
        <div className="spacer" />
        <div className="ev-seg" role="tablist">
          <button role="tab" aria-selected={!raw} className={!raw ? 'on' : ''} onClick={() => setRaw(false)}>Pretty</button>
          <button role="tab" aria-selected={raw} className={raw ? 'on' : ''} onClick={() => setRaw(true)}>Raw</button>
        </div>
        <button className="btn small" onClick={onClose} aria-label="Close detail">✕</button>
      </div>
      {q.isPending ? <Loading label="Loading event…" /> : null}
      {q.error ? <ErrorBox error={q.error} title="Could not load the event" onRetry={() => void q.refetch()} /> : null}
      {e ? (
        <div className="ev-detail-body">
          <dl className="ev-facts">
            <dt>Type</dt><dd><span className="chip accent">{e.type}</span></dd>
            <dt>Stream</dt><dd><a href="#" className="mono" onClick={(x) => { x.preventDefault(); onStream(e.streamId); }}>{e.streamId}</a> <span className="muted">v{e.version}</span></dd>
            {e.category ? <><dt>Category</dt><dd>{e.category}</dd></> : null}
            <dt>Time</dt><dd className="mono">{fmtTime(e.time)}</dd>
            {e.eventId ? <><dt>Event id</dt><dd className="mono ev-break">{e.eventId}</dd></> : null}
            {e.correlationId ? <><dt>Correlation</dt><dd className="mono ev-break"><a href="#" onClick={(x) => { x.preventDefault(); onCorrelation(e.correlationId!); }} title="Show every event with this correlation id">{e.correlationId}</a></dd></> : null}
            {e.causationId ? (
              <><dt>Caused by</dt><dd className="mono ev-break">
                {e.causedBy ? (
                  <a href="#" data-testid="caused-by" onClick={(x) => { x.preventDefault(); onOpen(e.causedBy!.position); }}>{e.causedBy.type} #{e.causedBy.position}</a>
                ) : <span>{e.causationId} {e.causedByUnresolved ? <span className="muted">(not found)</span> : null}</span>}
              </dd></>
            ) : null}
          </dl>
          <Body title="Payload" body={e.payload} raw={raw} onLoadAll={!full && e.payload.truncated ? () => setFull(true) : undefined} />
          {e.metadata ? <Body title="Metadata" body={e.metadata} raw={raw} /> : null}
        </div>
      ) : null}
    </section>
  );
}

function Body({ title, body, raw, onLoadAll }: { title: string; body: JsonBody; raw: boolean; onLoadAll?: () => void }) {
  const text = !raw && body.json && !body.truncated ? (pretty(body.text) ?? body.text) : body.text;
  return (
    <div className="ev-body">
      <div className="row ev-body-head">
        <strong>{title}</strong>
        <span className="muted">{fmtBytes(body.bytes)}{body.json ? '' : ' · not JSON'}</span>
        {body.truncated ? <span className="chip warn">showing the first {fmtBytes(utf8Length(body.text))}</span> : null}
        {onLoadAll ? <button className="btn small" onClick={onLoadAll}>Load all ({fmtBytes(body.bytes)})</button> : null}
      </div>
      <pre className="ev-pre" data-testid={`${title.toLowerCase()}-json`}>{text}{body.truncated ? '\n…' : ''}</pre>
    </div>
  );
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}
