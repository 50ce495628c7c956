import { Alert, Anchor, Button, Paper, PinInput, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAlertTriangle, IconDeviceMobileMessage } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import type { CodeRequest } from '../api/sign-in';
import { useRequestCode, useVerifyCode } from '../api/sign-in';
import { BorrowerShell } from './BorrowerShell';
import { isIndianMobile, maskedMobile, signInError } from './borrower-words';

type Language = NonNullable<CodeRequest['language']>;
const LANGUAGES: { value: Language; label: string }[] = [
  { value: 'en', label: 'English' },
  { value: 'hi', label: 'हिन्दी (Hindi)' },
  { value: 'mr', label: 'मराठी (Marathi)' },
  { value: 'ta', label: 'தமிழ் (Tamil)' },
  { value: 'te', label: 'తెలుగు (Telugu)' },
  { value: 'bn', label: 'বাংলা (Bengali)' },
  { value: 'kn', label: 'ಕನ್ನಡ (Kannada)' },
];
/** Seconds before "Send a new code" is offered (the server allows 3 codes per 10 minutes). */
export const RESEND_AFTER_S = 30;

function useCountdown(from: number, running: boolean) {
  const [left, setLeft] = useState(from);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setLeft((s) => (s > 0 ? s - 1 : 0)), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return [left, () => setLeft(from)] as const;
}

/**
 * A borrower signs in with their mobile number and the 6-digit code sent to it (WhatsApp or SMS). The
 * lender comes from the link (`?lender=`). The answer to "send a code" is the same for any number.
 */
export default function BorrowerSignInPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [lender, setLender] = useState(params.get('lender') ?? '');
  const [phone, setPhone] = useState('');
  const [language, setLanguage] = useState<Language>('en');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const [phoneError, setPhoneError] = useState<string | null>(null);
  const ask = useRequestCode();
  const verify = useVerifyCode();
  const [left, restart] = useCountdown(RESEND_AFTER_S, sent !== null);

  const sendCode = () => {
    if (!isIndianMobile(phone)) {
      setPhoneError('Enter your 10-digit mobile number, e.g. 98765 43210');
      return;
    }
    setPhoneError(null);
    verify.reset();
    ask.mutate(
      { tenant: lender.trim(), phone: phone.trim(), language },
      {
        onSuccess: (r) => {
          setSent(r.detail);
          setCode('');
          restart();
        },
      },
    );
  };
  const signIn = (value: string) =>
    verify.mutate(
      { tenant: lender.trim(), phone: phone.trim(), code: value },
      { onSuccess: () => void navigate('/borrower', { replace: true }) },
    );

  return (
    <BorrowerShell>
      <Paper withBorder radius="lg" p="lg">
        <Stack gap="md">
          <div>
            <Title order={1} size="h3">
              Sign in to your loan account
            </Title>
            <Text size="sm" c="dimmed" mt={4}>
              We send a one-time code to the mobile number your lender has for you.
            </Text>
          </div>
          {sent === null ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                sendCode();
              }}
              aria-label="Ask for a sign-in code"
            >
              <Stack gap="sm">
                {!params.get('lender') && (
                  <TextInput
                    label="Lender code"
                    description="From your lender's message or website, e.g. demo-nbfc"
                    value={lender}
                    onChange={(e) => setLender(e.currentTarget.value)}
                    autoCapitalize="none"
                    required
                  />
                )}
                <TextInput
                  label="Mobile number"
                  type="tel"
                  inputMode="tel"
                  autoComplete="tel-national"
                  placeholder="98765 43210"
                  leftSection={<Text size="sm">+91</Text>}
                  value={phone}
                  onChange={(e) => setPhone(e.currentTarget.value)}
                  error={phoneError}
                  size="md"
                  required
                />
                <Select
                  label="Language of the message"
                  data={LANGUAGES}
                  value={language}
                  onChange={(v) => setLanguage((v ?? 'en') as Language)}
                  allowDeselect={false}
                />
                {ask.isError && (
                  <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} role="alert">
                    {signInError(ask.error)}
                  </Alert>
                )}
                <Button
                  type="submit"
                  size="md"
                  loading={ask.isPending}
                  disabled={!lender.trim()}
                  leftSection={<IconDeviceMobileMessage size={18} />}
                >
                  Send code
                </Button>
              </Stack>
            </form>
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                if (code.length === 6) signIn(code);
              }}
              aria-label="Enter the code"
            >
              <Stack gap="sm">
                <Alert color="blue" variant="light" data-testid="code-sent">
                  <Text size="sm">{sent}</Text>
                  <Text size="sm" fw={600} mt={4}>
                    {maskedMobile(phone)}
                  </Text>
                </Alert>
                <Text size="sm" fw={500} id="code-label">
                  6-digit code
                </Text>
                <PinInput
                  length={6}
                  type="number"
                  oneTimeCode
                  size="lg"
                  value={code}
                  onChange={setCode}
                  onComplete={signIn}
                  error={verify.isError}
                  aria-labelledby="code-label"
                  autoFocus
                  styles={{ root: { justifyContent: 'space-between', width: '100%' } }}
                />
                {verify.isError && (
                  <Text size="sm" c="red" role="alert" data-testid="code-error">
                    {signInError(verify.error)}
                  </Text>
                )}
                <Button type="submit" size="md" loading={verify.isPending} disabled={code.length !== 6}>
                  Sign in
                </Button>
                <Stack gap={4} align="center">
                  {left > 0 ? (
                    <Text size="sm" c="dimmed">
                      You can ask for a new code in {left} s
                    </Text>
                  ) : (
                    <Anchor component="button" type="button" size="sm" onClick={sendCode}>
                      Send a new code
                    </Anchor>
                  )}
                  <Anchor
                    component="button"
                    type="button"
                    size="sm"
                    onClick={() => {
                      setSent(null);
                      verify.reset();
                    }}
                  >
                    Use another number
                  </Anchor>
                </Stack>
              </Stack>
            </form>
          )}
        </Stack>
      </Paper>
      <Text size="xs" c="dimmed" ta="center" mt="md">
        Never share this code with anyone, including people who say they are from your lender.
      </Text>
    </BorrowerShell>
  );
}
