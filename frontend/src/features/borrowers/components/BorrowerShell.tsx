import { Box, Container, Group, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** The borrower's pages: phone-first, one column, the lender's name on top; no staff navigation. */
export function BorrowerShell({ children, aside }: { children: ReactNode; aside?: ReactNode }) {
  return (
    <Box mih="100dvh" bg="var(--mantine-color-gray-0)">
      <Box bg="white" style={{ borderBottom: '1px solid var(--mantine-color-gray-3)' }}>
        <Container size={480} py="sm">
          <Group justify="space-between" wrap="nowrap">
            <Group gap={8} wrap="nowrap">
              <img src="/favicon.svg" alt="" width={28} height={28} />
              <Text fw={800}>CreditDesk</Text>
            </Group>
            {aside}
          </Group>
        </Container>
      </Box>
      <Container size={480} py="lg" px="md">
        {children}
      </Container>
    </Box>
  );
}
