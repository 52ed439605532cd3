import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { bootstrap } from './app/bootstrap';
import { cssVariables } from './theme/tokens';
import './theme/styles.css';

const style = document.createElement('style');
style.textContent = cssVariables();
document.head.append(style);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

bootstrap().then(
  (services) =>
    createRoot(root).render(
      <StrictMode>
        <App services={services} />
      </StrictMode>,
    ),
  (err: unknown) => {
    root.textContent = `The console could not start: ${err instanceof Error ? err.message : String(err)}`;
  },
);
