//! The container model, estimators, the pod recommender, capping and update priority (being written).
