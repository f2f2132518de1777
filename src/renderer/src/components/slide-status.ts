// How a slide's review status reads on screen (the core's values are codes).
export const STATUS_LABEL: Readonly<Record<string, string>> = { imported: 'Imported', classified: 'Classified', in_review: 'In review', signed: 'Signed' }

export const statusLabel = (status: string): string => STATUS_LABEL[status] ?? status
