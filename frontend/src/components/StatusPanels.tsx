import { Alert, Button, Center, Loader, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconInbox, IconLock, IconPlugConnectedX } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Stack align="center" gap="xs">
        <Loader size="md" />
        <Text size="sm" c="dimmed">
          {label}
        </Text>
      </Stack>
    </Center>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Paper withBorder p="xl" radius="md">
      <Stack align="center" gap="xs" ta="center">
        <ThemeIcon variant="light" size="xl" radius="xl" color="gray">
          <IconInbox size={22} />
        </ThemeIcon>
        <Text fw={600}>{title}</Text>
        {children && (
          <Text size="sm" c="dimmed" maw={460}>
            {children}
          </Text>
        )}
      </Stack>
    </Paper>
  );
}

/** The API answered "No route": this server does not ship the feature yet. */
export function NotAvailable({ feature }: { feature: string }) {
  return (
    <Alert color="gray" variant="light" title={`${feature} is not available on this server`} icon={<IconPlugConnectedX size={18} />}>
      This CreditDesk server does not provide the {feature.toLowerCase()} API yet. The page will work as soon as the server is upgraded to a
      version that includes it.
    </Alert>
  );
}

export function Forbidden({ what }: { what?: string }) {
  return (
    <Paper withBorder p="xl" radius="md" maw={560} mx="auto" mt="xl" data-testid="forbidden">
      <Stack align="center" gap="sm" ta="center">
        <ThemeIcon variant="light" size={48} radius="xl" color="orange">
          <IconLock size={26} />
        </ThemeIcon>
        <Title order={1} size="h3">
          You do not have access to this page
        </Title>
        <Text c="dimmed" size="sm">
          {what ? `${what} is` : 'This page is'} not part of your role. Ask your administrator if you need it.
        </Text>
        <Button component={Link} to="/" variant="light">
          Go to your home page
        </Button>
      </Stack>
    </Paper>
  );
}
