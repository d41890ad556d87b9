import { Suspense, useEffect } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useClient } from './ClientContext';
import { useRoute } from './router';
import { useTheme } from './theme';
import { views } from './views';
import { Loading, Empty } from '../components/States';
import { ShellIntegration } from '../views/settings/ShellIntegration';

export function App() {
  const client = useClient();
  const route = useRoute();
  const theme = useTheme();
  const info = useQuery({ queryKey: ['app.info'], queryFn: () => client.invoke('app.info', {}) });
  const current = views.find((v) => v.id === route.view);

  useEffect(() => {
    document.title = current ? `${current.title} — meshdeck` : 'meshdeck';
  }, [current]);

  const View = current?.component;
  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">mesh<span>deck</span></div>
        {info.data?.sandbox ? <span className="chip accent" title={info.data.sandbox.kubeconfig}>sandbox demo</span> : null}
        <div className="spacer" />
        <span className="muted" data-testid="transport">{info.data ? `${info.data.transport === 'ipc' ? 'desktop' : 'web mode'} · v${info.data.version}` : ''}</span>
        <button className="btn small" onClick={theme.toggle} aria-label="Toggle theme" title="Toggle theme (Ctrl+Shift+L)">
          {theme.effective === 'dark' ? '☾ Dark' : '☀ Light'}
        </button>
      </header>
      <nav className="nav" aria-label="Main">
        {views.map((v) => (
          <a key={v.id} href={`#/${v.id}`} className={v.id === route.view ? 'active' : ''}>
            <span className="icon" aria-hidden>{v.icon}</span>
            {v.title}
          </a>
        ))}
      </nav>
      <main className="main">
        <Suspense fallback={<Loading />}>
          {View ? <View /> : <Empty title={`No view named “${route.view}”`}><a href="#/connect">Go to clusters</a></Empty>}
        </Suspense>
      </main>
      <ShellIntegration />
    </div>
  );
}
