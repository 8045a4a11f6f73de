import { useEffect } from 'react';

/** Sets the document title (each page has its own, for screen readers and tabs). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Switchboard`;
  }, [title]);
}
