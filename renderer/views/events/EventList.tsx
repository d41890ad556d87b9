import { useEffect, useLayoutEffect, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { EventSummary, PageScope } from '../../../shared/contract/events';
import { ErrorBox, Empty, Loading } from '../../components/States';
import { fmtBytes, fmtTime } from './format';
import type { LogState } from './useEventLog';

const ROW = 30;

/**
 * The virtualised event list (TanStack Virtual): only the visible rows are in the DOM. Scrolling
 * near either end loads the neighbouring keyset page; loading older rows keeps the viewport still.
 */
export function EventList({ state, scope, selected, onSelect, loadOlder, loadNewer, follow }: {
  state: LogState; scope: PageScope; selected: string | null; onSelect: (p: string) => void;
  loadOlder: () => void; loadNewer: () => void; follow: boolean;
}) {
  const parent = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is the chosen virtualiser; this list needs no compiler memoisation
  const v = useVirtualizer({ count: state.events.length, getScrollElement: () => parent.current, estimateSize: () => ROW, overscan: 12 });
  const items = v.getVirtualItems();
  const first = state.events[0]?.position;
  const prevFirst = useRef<{ first: string | undefined; count: number }>({ first, count: state.events.length });
  const didInitialScroll = useRef(false);

  // Older rows were prepended: shift the scroll by their height so the user's place stays put.
  useLayoutEffect(() => {
    const prev = prevFirst.current;
    const el = parent.current;
    if (el && prev.first !== undefined && first !== prev.first && state.events.length > 0) {
      const idx = state.events.findIndex((e) => e.position === prev.first);
      if (idx > 0) el.scrollTop += idx * ROW;
    }
    prevFirst.current = { first, count: state.events.length };
  }, [first, state.events]);

  // The first page of the newest events opens scrolled to the bottom (newest last, like a log).
  useEffect(() => {
    if (state.loading === 'initial') { didInitialScroll.current = false; return; }
    if (!didInitialScroll.current && state.events.length) {
      didInitialScroll.current = true;
      if (!state.hasAfter) v.scrollToIndex(state.events.length - 1, { align: 'end' });
      else if (parent.current) parent.current.scrollTop = 0; // a jump: the anchor row first
    }
  }, [state.loading, state.events.length, state.hasAfter, v]);

  // Live: keep the newest row in view while following.
  useEffect(() => {
    if (follow && state.events.length) v.scrollToIndex(state.events.length - 1, { align: 'end' });
  }, [follow, state.events.length, v]);

  const onScroll = () => {
    const el = parent.current;
    if (!el || state.loading) return;
    if (el.scrollTop < ROW * 8 && state.hasBefore) loadOlder();
    if (el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 8 && state.hasAfter) loadNewer();
  };

  if (state.loading === 'initial') return <div className="ev-list"><Loading label="Reading events…" /></div>;
  if (state.error && state.events.length === 0) return <div className="ev-list ev-pad"><ErrorBox error={state.error} title="Could not read events" /></div>;
  if (state.events.length === 0) {
    return (
      <div className="ev-list">
        <Empty title="No events here">
          <span>{state.partial ? `Searched up to position ${state.scannedTo ?? '?'} without a match; scroll or refine the filter.` : 'Nothing matches this scope and filter.'}</span>
          {state.hasAfter ? <button className="btn small" onClick={loadNewer}>Search further</button> : null}
        </Empty>
      </div>
    );
  }
  const inStream = scope.kind === 'stream';
  return (
    <div className="ev-list" ref={parent} onScroll={onScroll} data-testid="event-list" role="grid" aria-rowcount={state.events.length}>
      <div className="ev-list-head" role="row">
        <span>{inStream ? 'Version' : 'Position'}</span><span>Time</span><span>Type</span><span>Stream</span><span>Payload</span>
      </div>
      <div style={{ height: v.getTotalSize(), position: 'relative' }}>
        {state.hasBefore && items[0]?.index === 0 ? <div className="ev-edge">{state.loading === 'older' ? 'Loading older…' : 'Scroll up for older events'}</div> : null}
        {items.map((it) => {
          const e = state.events[it.index] as EventSummary;
          return (
            <div
              key={e.position}
              role="row"
              aria-selected={selected === e.position}
              className={`ev-row ${selected === e.position ? 'selected' : ''}`}
              style={{ transform: `translateY(${it.start}px)`, height: ROW }}
              onClick={() => onSelect(e.position)}
              data-position={e.position}
            >
              <span className="mono ev-num">{inStream ? `v${e.version}` : e.position}</span>
              <span className="mono muted">{fmtTime(e.time)}</span>
              <span className="ev-type ev-ellipsis" title={e.type}>{e.type}</span>
              <span className="mono ev-ellipsis" title={e.streamId}>{e.streamId}</span>
              <span className="mono muted ev-ellipsis" title={`${fmtBytes(e.payloadBytes)} stored`}>{e.preview || `(${fmtBytes(e.payloadBytes)} — open to see)`}</span>
            </div>
          );
        })}
      </div>
      {state.hasAfter && state.loading === 'newer' ? <div className="ev-edge bottom">Loading newer…</div> : null}
      {state.error ? <div className="ev-pad"><ErrorBox error={state.error} title="Could not load more" /></div> : null}
    </div>
  );
}
