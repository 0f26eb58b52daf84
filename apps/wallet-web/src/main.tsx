import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App.js';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// Installable and usable offline (the app shell); the service worker needs a secure context, which
// localhost is.
if ('serviceWorker' in navigator && window.isSecureContext) void navigator.serviceWorker.register('./sw.js');
