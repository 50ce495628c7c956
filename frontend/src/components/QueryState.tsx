import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '@/lib/errors';
import { ErrorAlert } from './ErrorAlert';
import { EmptyState, Forbidden, Loading, NotAvailable } from './StatusPanels';

interface Props<T> {
  query: UseQueryResult<T>;
  /** Names the feature in the "not available on this server" panel (a 404 for a missing route). */
  feature: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}

/** One rendering of the states every request has: loading, error (with `detail`), missing route, empty, data. */
export function QueryState<T>({ query, feature, isEmpty, empty, loadingLabel, children }: Props<T>) {
  if (query.isPending) return <Loading label={loadingLabel ?? `Loading ${feature.toLowerCase()}…`} />;
  if (query.isError) {
    const err = query.error;
    if (err instanceof ApiError && err.routeMissing) return <NotAvailable feature={feature} />;
    if (err instanceof ApiError && err.status === 403) return <Forbidden what={feature} />;
    return <ErrorAlert error={err} title={`Could not load ${feature.toLowerCase()}`} onRetry={() => void query.refetch()} />;
  }
  if (isEmpty?.(query.data)) return <>{empty ?? <EmptyState title="Nothing here yet" />}</>;
  return <>{children(query.data)}</>;
}
