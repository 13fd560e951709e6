"""Hybrid matching: free text → shortlist of concepts with companies and explanations."""
