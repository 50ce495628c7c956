/** Mirror of the server's password rule (auth/passwords.py) for instant feedback; the server decides. */
export function passwordProblem(password: string, email?: string): string | null {
  if (password.length < 12 || password.length > 128) return 'Use 12–128 characters';
  if (!/[A-Za-z]/.test(password) || !/[^A-Za-z]/.test(password)) return 'Use at least one letter and one digit or symbol';
  if (new Set(password).size < 5) return 'Use more different characters';
  const local = email?.split('@')[0]?.toLowerCase() ?? '';
  if (local.length >= 4 && password.toLowerCase().includes(local)) return 'Do not use your e-mail name in the password';
  return null;
}
