-- RAG chunk store: one partition per month of ingestion.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE IF NOT EXISTS rag.chunks (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    document_id uuid        NOT NULL,
    content     text        NOT NULL,  -- 'PARTITION BY' in a comment is ignored
    embedding   vector(1536) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

CREATE TABLE rag.chunks_2025_10 PARTITION OF rag.chunks
    FOR VALUES FROM ('2025-10-01') TO ('2025-11-01');
CREATE TABLE rag.chunks_2025_11 PARTITION OF rag.chunks
    FOR VALUES FROM ('2025-11-01') TO ('2025-12-01');

CREATE INDEX ON rag.chunks_2025_10 USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX ON rag.chunks_2025_11 USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

-- an audit table partitioned by time but without vectors is fine
CREATE TABLE rag.query_log (
    id bigint GENERATED ALWAYS AS IDENTITY,
    query text,
    created_at timestamptz NOT NULL
) PARTITION BY RANGE (created_at);
