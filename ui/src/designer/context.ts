import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { EditorState, EditorStore } from './store';

export const EditorContext = createContext<EditorStore | null>(null);

export function useEditorStore(): EditorStore {
  const store = useContext(EditorContext);
  if (!store) throw new Error('useEditor outside the flow editor');
  return store;
}

/** A slice of the editor's state; re-renders when that slice changes. */
export const useEditor = <T>(selector: (state: EditorState) => T): T => useStore(useEditorStore(), selector);
