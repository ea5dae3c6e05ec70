// Monaco's web workers, bundled by Vite as files of this page: the CSP lets workers come from 'self' only.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import './style.css';
import { useGraphiQL } from '@graphiql/react';
import { GraphiQL } from 'graphiql';
import { createElement, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { login, withAuthorization } from './sign-in';
import { graphiqlStorage } from './storage';

// The page is served at <server>/explorer/, the API at <server>/graphql.
const graphqlUrl = new URL('../graphql', location.href).href;

const DEFAULT_QUERY = `# Sign in above: your access token goes into Headers (below), and every request here carries it.
# Then run this with Ctrl-Enter, or the ▶ button.
{
  me {
    email
    role
  }
}
`;

interface HeaderEditor {
  getValue(): string;
  setValue(value: string): void;
}
let headerEditor: HeaderEditor | undefined;

/** GraphiQL's state is reachable only from inside it: this child hands the headers editor to the form. */
function HeaderEditorHandle(): null {
  const editor = useGraphiQL((state) => state.headerEditor);
  useEffect(() => {
    headerEditor = editor;
  }, [editor]);
  return null;
}

/** GraphiQL's fetcher: one POST per operation, with the headers from its Headers editor. */
async function fetcher(params: unknown, options?: { headers?: Record<string, unknown> }): Promise<unknown> {
  const headers = Object.entries(options?.headers ?? {}).map(([name, value]) => [name, String(value)]);
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...Object.fromEntries(headers) },
    body: JSON.stringify(params),
  });
  return response.json();
}

createRoot(document.getElementById('graphiql')!).render(
  createElement(
    GraphiQL,
    {
      fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolsVisibility: 'headers',
      // The token stays in this tab's memory: headers are never written to localStorage, and the setting
      // that would write them is hidden.
      shouldPersistHeaders: false,
      showPersistHeadersSettings: false,
      storage: graphiqlStorage,
    },
    createElement(HeaderEditorHandle),
  ),
);

const form = document.querySelector<HTMLFormElement>('#sign-in')!;
const status = document.querySelector<HTMLElement>('#status')!;

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const fields = new FormData(form);
  const button = form.querySelector('button')!;
  button.disabled = true;
  try {
    if (!headerEditor) throw new Error('GraphiQL is still loading: try again in a moment.');
    const signedIn = await login(graphqlUrl, String(fields.get('email')), String(fields.get('password')), () =>
      window.prompt('Code from your authenticator app (or a recovery code)'),
    );
    headerEditor.setValue(withAuthorization(headerEditor.getValue(), signedIn.accessToken));
    form.querySelector<HTMLInputElement>('input[name="password"]')!.value = '';
    const until = new Date(signedIn.expiresAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    showStatus('signed-in', `Signed in as ${signedIn.email}: the token in Headers works until ${until}.`);
  } catch (error) {
    showStatus('error', error instanceof Error ? error.message : String(error));
  } finally {
    button.disabled = false;
  }
});

function showStatus(state: 'signed-in' | 'error', text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}
