import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError } from './api/client';
import { App } from './app';
import './styles.css';
import './views.css';

/** Retrying a refusal (4xx) cannot change its answer; only transient failures are retried, twice. */
function retryTransient(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status < 500) return false;
  return failureCount < 2;
}

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: retryTransient }, mutations: { retry: false } } });

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no element with id "root" to render the dashboard into');
createRoot(container).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
