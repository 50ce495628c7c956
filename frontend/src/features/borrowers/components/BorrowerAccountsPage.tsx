import { Alert, Badge, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { IconLogout } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { Navigate, useNavigate } from 'react-router';
import { ErrorAlert } from '@/components/ErrorAlert';
import { EmptyState, Loading } from '@/components/StatusPanels';
import { ApiError } from '@/lib/errors';
import { formatMoney, formatNumber, humanize } from '@/lib/format';
import { readSession } from '../api/borrower-session';
import { useMyAccounts, type MyAccount } from '../api/list-my-accounts';
import { signOut } from '../api/sign-in';
import { BorrowerShell } from './BorrowerShell';
import { dpdWords, dueWords, maskedMobile } from './borrower-words';

function Figure({ label, value, strong = false }: { label: string; value: string; strong?: boolean }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size={strong ? 'lg' : 'sm'} fw={strong ? 700 : 500}>
        {value}
      </Text>
    </div>
  );
}

/** One loan as its borrower needs it: what to pay and when, how late, what is left. */
function AccountCard({ account }: { account: MyAccount }) {
  const late = account.dpd > 0;
  const due = dueWords(account.next_due_on, account.as_of);
  return (
    <Paper withBorder radius="lg" p="md" data-testid={`account-${account.id}`}>
      <Group justify="space-between" align="flex-start" wrap="nowrap" mb="xs">
        <div style={{ minWidth: 0 }}>
          <Text fw={700}>{account.purpose ? humanize(account.purpose) : 'Loan'}</Text>
          <Text size="xs" c="dimmed">
            Account {account.external_ref ?? account.id.slice(0, 8)}
          </Text>
        </div>
        <Badge color={account.status === 'closed' ? 'gray' : late ? 'red' : 'teal'} variant="light" tt="none" size="lg">
          {account.status === 'closed' ? 'Closed' : dpdWords(account.dpd)}
        </Badge>
      </Group>
      <Text size="sm" mb="sm" data-testid="standing">
        {account.standing}
      </Text>
      {account.status === 'active' && (
        <>
          {late && Number(account.overdue_amount) > 0 && (
            <Alert color="red" variant="light" p="xs" mb="sm">
              <Text size="sm" fw={600}>
                {formatMoney(account.overdue_amount, true)} is overdue
              </Text>
              <Text size="xs">Paying it soon stops late charges and protects your credit record.</Text>
            </Alert>
          )}
          <SimpleGrid cols={2} spacing="sm">
            {account.next_due_amount != null && (
              <Figure label={due ?? 'Next payment'} value={formatMoney(account.next_due_amount, true)} strong />
            )}
            <Figure label="Monthly instalment (EMI)" value={formatMoney(account.emi, true)} />
            <Figure label="Still to repay" value={formatMoney(account.outstanding_principal, true)} />
            <Figure label="Interest" value={`${formatNumber(account.annual_rate_pct)}% a year`} />
          </SimpleGrid>
        </>
      )}
    </Paper>
  );
}

/** The borrower's own loans after signing in by code; back to sign-in when the session has ended. */
export default function BorrowerAccountsPage() {
  const session = readSession();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const accounts = useMyAccounts(session !== null);
  const expired = accounts.error instanceof ApiError && accounts.error.status === 401;
  if (!session || expired) return <Navigate to="/borrower/sign-in" replace />;
  const leave = async () => {
    await signOut();
    qc.removeQueries({ queryKey: ['borrower'] });
    void navigate(`/borrower/sign-in?lender=${encodeURIComponent(session.tenant)}`, { replace: true });
  };
  return (
    <BorrowerShell
      aside={
        <Button variant="subtle" size="compact-sm" leftSection={<IconLogout size={14} />} onClick={() => void leave()}>
          Sign out
        </Button>
      }
    >
      <Stack gap="md">
        <div>
          <Title order={1} size="h3">
            Your loans
          </Title>
          <Text size="sm" c="dimmed">
            Signed in as {maskedMobile(session.phone)}
          </Text>
        </div>
        {accounts.isPending ? (
          <Loading label="Loading your loans…" />
        ) : accounts.isError ? (
          <ErrorAlert error={accounts.error} title="Could not load your loans" onRetry={() => void accounts.refetch()} />
        ) : accounts.data.items.length === 0 ? (
          <EmptyState title="No loans yet">Loans appear here once they are disbursed.</EmptyState>
        ) : (
          accounts.data.items.map((a) => <AccountCard key={a.id} account={a} />)
        )}
      </Stack>
    </BorrowerShell>
  );
}
