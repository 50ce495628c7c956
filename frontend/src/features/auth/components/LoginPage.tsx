import { Alert, Anchor, Box, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertTriangle, IconInfoCircle } from '@tabler/icons-react';
import { useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useAuth } from '@/lib/auth';
import { ApiError, errorMessage } from '@/lib/errors';

function safeNext(next: string | null): string {
  // Only same-site paths: never bounce a fresh session to another origin.
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginPage() {
  const { status, login, notice } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const form = useForm({
    initialValues: { email: '', password: '' },
    validate: {
      email: (v) => (/^\S+@\S+\.\S+$/.test(v.trim()) ? null : 'Enter your e-mail address'),
      password: (v) => (v ? null : 'Enter your password'),
    },
  });

  if (status === 'authenticated') return <Navigate to={safeNext(params.get('next'))} replace />;

  const submit = form.onSubmit(async ({ email, password }) => {
    setSubmitting(true);
    setError(null);
    try {
      await login(email.trim(), password);
      void navigate(safeNext(params.get('next')), { replace: true });
    } catch (err) {
      setError(err);
      form.setFieldValue('password', '');
    } finally {
      setSubmitting(false);
    }
  });

  const locked = error instanceof ApiError && error.code === 'AccountLocked';

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Box w="100%" maw={400}>
        <Stack align="center" gap={4} mb="lg">
          <img src="/favicon.svg" alt="" width={44} height={44} />
          <Title order={1} size="h2">
            CreditDesk
          </Title>
          <Text c="dimmed" size="sm">
            Explainable credit decisions for lenders
          </Text>
        </Stack>
        <Paper withBorder shadow="sm" p="lg" radius="md" component="form" onSubmit={submit} noValidate aria-label="Sign in">
          <Stack gap="md">
            <Title order={2} size="h4">
              Sign in
            </Title>
            {notice && !error && (
              <Alert color="blue" variant="light" icon={<IconInfoCircle size={18} />}>
                {notice}
              </Alert>
            )}
            {error !== null && (
              <Alert
                color={locked ? 'orange' : 'red'}
                variant="light"
                icon={<IconAlertTriangle size={18} />}
                title={locked ? 'Account locked' : 'Could not sign in'}
                role="alert"
                data-testid="login-error"
              >
                {errorMessage(error)}
              </Alert>
            )}
            <TextInput label="E-mail" type="email" autoComplete="username" required autoFocus {...form.getInputProps('email')} />
            <PasswordInput label="Password" autoComplete="current-password" required {...form.getInputProps('password')} />
            <Button type="submit" loading={submitting} fullWidth>
              Sign in
            </Button>
            <Text size="xs" c="dimmed" ta="center">
              Five wrong passwords lock the account for 15 minutes. API documentation:{' '}
              <Anchor href="/docs" size="xs">
                /docs
              </Anchor>
            </Text>
          </Stack>
        </Paper>
      </Box>
    </Center>
  );
}
