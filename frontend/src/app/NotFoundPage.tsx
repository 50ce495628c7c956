import { Button, Paper, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';

export function NotFoundPage({ message = 'There is no page at this address.' }: { message?: string }) {
  return (
    <Paper withBorder p="xl" radius="md" maw={520} mx="auto" mt="xl">
      <Stack align="center" ta="center" gap="sm">
        <Title order={1} size="h3">
          Page not found
        </Title>
        <Text c="dimmed" size="sm">
          {message}
        </Text>
        <Button component={Link} to="/" variant="light">
          Go to your home page
        </Button>
      </Stack>
    </Paper>
  );
}
