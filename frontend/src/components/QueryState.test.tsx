import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { ApiError } from '@/lib/errors';
import { QueryState } from './QueryState';

function Probe({ fn, empty = false }: { fn: () => Promise<string[]>; empty?: boolean }) {
  const q = useQuery({ queryKey: ['probe', fn], queryFn: fn, retry: false });
  return (
    <QueryState query={q} feature="Widgets" isEmpty={empty ? (d) => d.length === 0 : undefined}>
      {(d) => <p>data: {d.join(',')}</p>}
    </QueryState>
  );
}

const wrap = (ui: React.ReactNode) =>
  render(
    <MantineProvider>
      <MemoryRouter>
        <QueryClientProvider client={new QueryClient()}>{ui}</QueryClientProvider>
      </MemoryRouter>
    </MantineProvider>,
  );

describe('QueryState', () => {
  it('renders the data', async () => {
    wrap(<Probe fn={async () => ['a', 'b']} />);
    expect(screen.getByRole('status')).toHaveTextContent('Loading widgets');
    expect(await screen.findByText('data: a,b')).toBeInTheDocument();
  });
  it('shows the API detail of an error', async () => {
    wrap(<Probe fn={async () => Promise.reject(new ApiError(409, { detail: 'Slug already taken', request_id: 'req-9' }))} />);
    expect(await screen.findByRole('alert')).toHaveTextContent('Slug already taken');
    expect(screen.getByText('Request id req-9')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
  it('says a feature is not available when the server has no such route', async () => {
    wrap(<Probe fn={async () => Promise.reject(new ApiError(404, { detail: 'No route for GET /api/v1/tenants/x/widgets' }))} />);
    expect(await screen.findByText('Widgets is not available on this server')).toBeInTheDocument();
  });
  it('shows the empty state', async () => {
    wrap(<Probe fn={async () => []} empty />);
    expect(await screen.findByText('Nothing here yet')).toBeInTheDocument();
  });
});
